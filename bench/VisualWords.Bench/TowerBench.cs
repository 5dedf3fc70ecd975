using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using VisualWords.Vision;
using static TorchSharp.torch;

namespace VisualWords.Bench;

/// <summary>
/// Full-size vision towers (random weights), one image, ours vs the official Python code run in the
/// same bench run with the same thread count: CLIP ViT-L/14-336 to layer -2 at 336 px, DINOv2-L/14
/// (normed last layer) at 224 px (position grid interpolated 37 → 16).
/// </summary>
public static class TowerBench
{
    public static int Run(string[] args)
    {
        var threads = BenchArgs.Int(args, "--threads", 1);
        var runs = BenchArgs.Int(args, "--runs", 2);
        var only = BenchArgs.Get(args, "--tower");
        torch.set_num_threads(threads);
        Console.WriteLine($"# vision towers, batch 1, {threads} thread(s), {runs} timed runs after a warm-up");
        Console.WriteLine("| tower | input | patches | ours ms (min) | official PyTorch 1.13 ms (min) | ours / official |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (name, reference, side) in new[] { ("clip-vit-large-patch14-336", "clip", 336), ("dinov2-large", "dinov2", 224) })
        {
            if (only is not null && only != reference) continue;
            var official = Reference(reference, side, threads, runs);
            var (ours, patches) = Ours(name, side, runs);
            var text = official is double o ? $"{o:F0} | {ours / o:F2}" : "n/a (set CLIP_SRC and DINOV2_SRC) | -";
            Console.WriteLine($"| {name} | {side}x{side} | {patches} | {ours:F0} | {text} |");
        }
        return 0;
    }

    static (double MinMs, long Patches) Ours(string name, int side, int runs)
    {
        using var _ = no_grad();
        using var tower = VisionTowers.Get(name).Create();
        tower.eval();
        using var x = randn(1, 3, side, side);
        long patches;
        using (var warm = tower.forward(x)) patches = warm.shape[1];
        var best = double.MaxValue;
        for (var r = 0; r < runs; r++)
        {
            var sw = Stopwatch.StartNew();
            using var y = tower.forward(x);
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
        }
        return (best, patches);
    }

    /// <summary>Runs bench/python/tower_reference.py; null when the upstream checkouts are not configured.</summary>
    static double? Reference(string tower, int side, int threads, int runs)
    {
        if (Environment.GetEnvironmentVariable("CLIP_SRC") is null || Environment.GetEnvironmentVariable("DINOV2_SRC") is null) return null;
        var script = Path.Combine(RepoRoot(), "bench", "python", "tower_reference.py");
        var psi = new ProcessStartInfo("/usr/bin/python3", [script, tower, side.ToString(), threads.ToString(), runs.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString();
        psi.Environment["OMP_NUM_THREADS"] = threads.ToString();
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var line = p.StandardOutput.ReadToEnd().Trim().Split('\n').Last();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"reference failed: {stderr.Result}");
        using var doc = JsonDocument.Parse(line);
        return doc.RootElement.GetProperty("ms").EnumerateArray().Min(e => e.GetDouble());
    }

    static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "VisualWords.slnx"))) return d.FullName;
        throw new InvalidOperationException("run the bench from inside the repository");
    }

}
