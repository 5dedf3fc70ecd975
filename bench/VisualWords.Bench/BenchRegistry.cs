using VisualWords.Bench.Serve;

namespace VisualWords.Bench;

/// <summary>Named comparison benchmarks; add one line per benchmark to <see cref="All"/>.</summary>
public static class BenchRegistry
{
    public sealed record Entry(string Name, string Description, Func<string[], int> Run);

    public static readonly List<Entry> All =
    [
        new("sam", "SAM vit_b encoder at 1024² and decoder for 64 point prompts, ours vs the official code in the same run", SamBench.Run),
        new("sam-blocks", "SAM encoder block-by-block timings (where the encoder's time goes)", SamBlocksBench.Run),
        LlmLayerBench.Entry,
        ShapesWorldBench.Entry,
        new("towers", "full-size CLIP-L/336 and DINOv2-L vision towers, ours vs official PyTorch in the same run", TowerBench.Run),
        new("everything-mode", "SAM everything mode from a 1024² embedding (vit_t/vit_b decoders, 16²/32² grids), ours vs the official generator in the same run", EverythingModeBench.Run),
        ServeLoadBench.Entry,
        new("projectors", "projector ms/image at CLIP-L -> 7B dims, ~40 superpixels, vs 7B prefill of the saved tokens", ProjectorBench.Run),
    ];

    public static int Run(string[] args)
    {
        var entry = args.Length > 0 ? All.FirstOrDefault(e => e.Name == args[0]) : null;
        if (entry == null)
        {
            Console.Error.WriteLine("usage: VisualWords.Bench <name> [options] | bdn [BenchmarkDotNet args]");
            foreach (var e in All) Console.Error.WriteLine($"  {e.Name,-24} {e.Description}");
            return args.Length == 0 ? 0 : 2;
        }
        return entry.Run(args[1..]);
    }
}
