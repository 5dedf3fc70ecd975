using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using VisualWords.Checkpoints;
using VisualWords.Sam;
using VisualWords.Sam.Amg;

namespace VisualWords.Bench;

/// <summary>
/// Everything mode from a precomputed 1024² embedding (no encoder), ours vs the official generator in
/// the same run, same random full-size weights and thread count. Ours is timed twice: with the shared
/// image-side decoder work (default) and with the generic per-prompt decoder, to show what sharing buys.
/// Weights and embedding come from bench/python/amg_reference.py prepare (run when missing).
/// Wall time is what a user waits; process CPU time is reported too because this machine is shared
/// and wall time mostly measures the other tenants.
/// </summary>
public static class EverythingModeBench
{
    public static int Run(string[] args)
    {
        int threads = BenchArgs.Int(args, "--threads", 1);
        var grids = (BenchArgs.Get(args, "--grids") ?? "16,32").Split(',').Select(int.Parse).ToArray();
        var models = (BenchArgs.Get(args, "--models") ?? "vit_t,vit_b").Split(',');
        var dir = BenchArgs.Get(args, "--dir") ?? Path.Combine(Path.GetTempPath(), "vwbench");
        double iou = double.Parse(BenchArgs.Get(args, "--pred-iou-thresh") ?? "0.88");
        double stab = double.Parse(BenchArgs.Get(args, "--stability-score-thresh") ?? "0.95");
        bool official = Environment.GetEnvironmentVariable("SAM_SRC") is not null && Environment.GetEnvironmentVariable("MOBILESAM_SRC") is not null;
        torch.set_num_threads(threads);
        if (!File.Exists(Path.Combine(dir, "embedding_1024.pth"))) Python(["prepare", dir], threads);

        Console.WriteLine($"# everything mode, 1024x1024 embedding, {threads} thread(s), pred_iou {iou}, stability {stab}");
        Console.WriteLine("| decoder | grid | ours shared: wall s / cpu s | ours generic: wall / cpu | official: wall / cpu | ratio shared/official (wall, cpu) | masks (ours/official) | our stages (shared) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        using var sd = Checkpoint.Load(Path.Combine(dir, "embedding_1024.pth"));
        var embedding = sd["embedding"];
        foreach (var m in models)
        {
            var ckpt = Path.Combine(dir, m == "vit_t" ? "mobile_sam_random.pth" : $"sam_{m}_random.pth");
            using var model = SamModel.FromCheckpoint(SamModelConfig.Get(m), ckpt);
            foreach (int n in grids)
            {
                var cfg = new AutomaticMaskGeneratorConfig { PointsPerSide = n, PredIouThresh = iou, StabilityScoreThresh = stab };
                Ours(model, cfg with { PointsPerSide = 4 }, embedding, true);   // warm-up
                var shared = Ours(model, cfg, embedding, true);
                var generic = Ours(model, cfg, embedding, false);
                (double Wall, double Cpu, int Masks)? reference = official
                    ? Official(m, ckpt, Path.Combine(dir, "embedding_1024.pth"), n, iou, stab, threads) : null;
                string refText = reference is { } r ? $"{r.Wall:F1} / {r.Cpu:F1}" : "n/a (set SAM_SRC, MOBILESAM_SRC)";
                string ratio = reference is { } q ? $"{shared.Wall / q.Wall:F2}, {shared.Cpu / q.Cpu:F2}" : "n/a";
                Console.WriteLine($"| {m} | {n}x{n} | {shared.Wall:F1} / {shared.Cpu:F1} | {generic.Wall:F1} / {generic.Cpu:F1} | {refText} | {ratio} | " +
                    $"{shared.Masks}/{(reference is { } x ? x.Masks.ToString() : "-")} | {shared.Timings} |");
            }
        }
        return 0;
    }

    static (double Wall, double Cpu, int Masks, AmgTimings Timings) Ours(SamModel model, AutomaticMaskGeneratorConfig cfg, torch.Tensor embedding, bool share)
    {
        var gen = new SamAutomaticMaskGenerator(model, cfg) { ShareImageWork = share };
        var proc = Process.GetCurrentProcess();
        var cpu0 = proc.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var masks = gen.Generate(1024, 1024, _ => embedding.clone());
        double wall = clock.Elapsed.TotalSeconds;
        proc.Refresh();
        return (wall, (proc.TotalProcessorTime - cpu0).TotalSeconds, masks.Count, gen.LastTimings);
    }

    static (double Wall, double Cpu, int Masks) Official(string model, string ckpt, string emb, int n, double iou, double stab, int threads)
    {
        using var doc = JsonDocument.Parse(Python(["run", model, ckpt, emb, n.ToString(), iou.ToString(), stab.ToString(), threads.ToString()], threads));
        var r = doc.RootElement;
        return (r.GetProperty("s").GetDouble(), r.GetProperty("cpu_s").GetDouble(), r.GetProperty("masks").GetInt32());
    }

    static string Python(string[] args, int threads)
    {
        var script = Path.Combine(RepoRoot(), "bench", "python", "amg_reference.py");
        var psi = new ProcessStartInfo("/usr/bin/python3", [script, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString();
        psi.Environment["OMP_NUM_THREADS"] = threads.ToString();
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"amg_reference.py failed: {stderr.Result}");
        return output.Split('\n').Last();
    }

    static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "VisualWords.slnx"))) return d.FullName;
        throw new InvalidOperationException("run the bench from inside the repository");
    }
}
