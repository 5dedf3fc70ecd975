using System.Diagnostics;
using TorchSharp;
using VisualWords.Projectors;
using static TorchSharp.torch;

namespace VisualWords.Bench;

/// <summary>
/// Projector cost per image at CLIP-L → 7B dims (1024 → 4096, 24 x 24 patches) with a ~40-region
/// superpixel map, next to the LLM prefill time the saved tokens would cost, measured in the same
/// run on one LLaMA-7B-shaped decoder layer (x32 layers).
/// </summary>
public static class ProjectorBench
{
    const int VisionWidth = 1024, TextWidth = 4096, Grid = 24;

    public static int Run(string[] args)
    {
        var threads = BenchArgs.Int(args, "--threads", 1);  // 2-thread OpenMP collapses on a loaded shared machine
        var iters = BenchArgs.Int(args, "--iters", 10);
        var regions = BenchArgs.Int(args, "--regions", 40);
        var labelSide = BenchArgs.Int(args, "--label-size", 336);
        torch.set_num_threads(threads);
        torch.manual_seed(0);
        using var _ = no_grad();

        using var features = randn(1, Grid * Grid, VisionWidth);
        using var labels = SyntheticSuperpixels(labelSide, labelSide, regions);
        var input = new ProjectorInput(features, Grid, Grid, [labels]);
        Console.WriteLine($"# projectors: {VisionWidth} -> {TextWidth}, {Grid}x{Grid} patches, {regions} regions on a {labelSide}x{labelSide} label map, {threads} threads, {iters} runs after a warm-up");
        Console.WriteLine("| projector | tokens | params (M) | ms / image (min) | ms / image (median) |");
        Console.WriteLine("|---|---|---|---|---|");
        var results = new Dictionary<string, (long Tokens, double Min)>();
        foreach (var kind in new[] { "mlp2x_gelu", "pool2", "pool3", "pool4", "resampler64", "semantic-pool-only", "semantic-no-ssa", "semantic-no-sspe", "semantic" })
        {
            using var p = ProjectorConfig.Parse(kind, VisionWidth, TextWidth).Create();
            p.eval();
            long tokens = 0;
            var (ms, min) = Time(iters, () => { using var t = p.forward(input); tokens = t.Tokens.shape[1]; });
            var millions = p.parameters().Sum(q => q.numel()) / 1e6;
            results[kind] = (tokens, min);
            Console.WriteLine($"| {kind} | {tokens} | {millions:F1} | {min:F1} | {ms:F1} |");
        }
        var (layout, layoutMin) = Time(iters, () =>
        {
            var (l, r) = SuperpixelPooling.CheckLabels(labels);
            using var w = SuperpixelPooling.Weights(SuperpixelPooling.PixelCounts(l, r, Grid, Grid));
            using var g = SuperpixelGeometry.Describe(l, r, 8);
        });
        Console.WriteLine($"\nlabel-map work inside semantic (weights + geometry): {layoutMin:F1} ms min / {layout:F1} ms median per image");

        // Prefill of the tokens the semantic projector saves, on 7B-shaped layers.
        var saved = results["mlp2x_gelu"].Tokens - results["semantic"].Tokens;
        var sampleTokens = Math.Min(128, (int)saved);
        Tensor[] weights =
        [
            randn(4096, 4096) * 0.01f, randn(4096, 4096) * 0.01f, randn(4096, 4096) * 0.01f, randn(4096, 4096) * 0.01f,
            randn(11008, 4096) * 0.01f, randn(11008, 4096) * 0.01f, randn(4096, 11008) * 0.01f,
        ];
        var (layerMs, layerMin) = Time(Math.Max(3, iters / 3), () => SevenBLayerPrefill(weights, sampleTokens));
        foreach (var w in weights) w.Dispose();
        var prefillMs = layerMin * 32 * saved / sampleTokens;
        Console.WriteLine($"7B prefill: one decoder layer on {sampleTokens} tokens = {layerMin:F1} ms min / {layerMs:F1} ms median; x32 layers, scaled to the {saved} saved tokens = {prefillMs:F0} ms");
        foreach (var kind in new[] { "semantic", "semantic-no-ssa" })
        {
            var extra = results[kind].Min;
            Console.WriteLine($"{kind}: {extra:F1} ms (min) = {100 * extra / prefillMs:F2}% of the prefill time it saves (goal <= 10%)");
        }
        return 0;
    }

    /// <summary>A LLaMA-7B-shaped layer (4096 wide, 32 heads, SwiGLU 11008) on T tokens, causal attention.</summary>
    static void SevenBLayerPrefill(Tensor[] w, int tokens)
    {
        using var scope = NewDisposeScope();
        var x = randn(1, tokens, 4096);
        var h = RmsNorm(x);
        var q = nn.functional.linear(h, w[0]).view(1, tokens, 32, 128).transpose(1, 2);
        var k = nn.functional.linear(h, w[1]).view(1, tokens, 32, 128).transpose(1, 2);
        var v = nn.functional.linear(h, w[2]).view(1, tokens, 32, 128).transpose(1, 2);
        var a = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true).transpose(1, 2).reshape(1, tokens, 4096);
        x = x + nn.functional.linear(a, w[3]);
        h = RmsNorm(x);
        x = x + nn.functional.linear(nn.functional.silu(nn.functional.linear(h, w[4])) * nn.functional.linear(h, w[5]), w[6]);
        _ = x.sum().item<float>();
    }

    static Tensor RmsNorm(Tensor x) => x * (x.pow(2).mean([-1L], keepdim: true) + 1e-6).rsqrt();

    /// <summary>
    /// Voronoi cells around random seeds (SAM-like parts of various sizes) plus five tiny 3x3
    /// specks, labelled 0..regions-1 without gaps.
    /// </summary>
    public static Tensor SyntheticSuperpixels(int height, int width, int regions)
    {
        using var scope = NewDisposeScope();
        var cells = Math.Max(1, regions - 5);
        var seeds = randperm(height * width)[..cells];
        var seedYx = stack([seeds.div(width, rounding_mode: RoundingMode.floor), seeds.remainder(width)], 1).to(float32);
        var ys = arange(height, dtype: float32).repeat_interleave(width);
        var xs = arange(width, dtype: float32).repeat(height);
        var pixels = stack([ys, xs], 1);
        var labels = cdist(pixels, seedYx).argmin(1).view(height, width);
        var next = cells;
        for (var y = 10; next < regions && y + 3 < height; y += height / 6)
            labels[y..(y + 3), (y % width)..Math.Min(width, y % width + 3)] = next++;
        // A speck may have swallowed a whole cell: renumber to close gaps.
        var (_, inverse, _) = torch.unique(labels.flatten(), return_inverse: true);
        return scope.MoveToOuter(inverse!.view(height, width));
    }


    /// <summary>(median, min) wall time in ms; min is the robust number on a shared machine.</summary>
    static (double Median, double Min) Time(int iters, Action body)
    {
        body();  // warm-up
        var times = new double[iters];
        for (var i = 0; i < iters; i++)
        {
            var sw = Stopwatch.StartNew();
            body();
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return (times[iters / 2], times[0]);
    }
}
