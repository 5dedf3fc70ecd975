using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TorchSharp;
using VisualWords.Checkpoints;
using VisualWords.Sam;
using VisualWords.Sam.Amg;

namespace VisualWords.Bench;

/// <summary>
/// Everything mode from a precomputed 1024² embedding (no encoder), ours vs the official generator in
/// the same run, same random full-size weights and thread count. Ours runs in exact mode (the official
/// records) and in fast mode (coarse-to-fine prompts); with --generic also exact mode with the generic
/// per-prompt decoder, to show what sharing the image-side work buys.
/// Weights and embedding come from bench/python/amg_reference.py prepare (run when missing).
/// Wall time is what a user waits; process CPU time is reported too because this machine is shared
/// and wall time mostly measures the other tenants. Peak RSS is the process's high-water mark after
/// the row (VmHWM; cumulative over rows, so run one grid per process to read it per grid).
/// </summary>
public static class EverythingModeBench
{
    public static int Run(string[] args)
    {
        int threads = BenchArgs.Int(args, "--threads", 1);
        var grids = (BenchArgs.Get(args, "--grids") ?? "16,32").Split(',').Select(int.Parse).ToArray();
        var models = (BenchArgs.Get(args, "--models") ?? "vit_t,vit_b").Split(',');
        var modes = (BenchArgs.Get(args, "--modes") ?? "exact,fast").Split(',');
        var dir = BenchArgs.Get(args, "--dir") ?? Path.Combine(Path.GetTempPath(), "vwbench");
        double iou = double.Parse(BenchArgs.Get(args, "--pred-iou-thresh") ?? "0.88", CultureInfo.InvariantCulture);
        double stab = double.Parse(BenchArgs.Get(args, "--stability-score-thresh") ?? "0.95", CultureInfo.InvariantCulture);
        bool generic = args.Contains("--generic");
        int chunk = BenchArgs.Int(args, "--prompt-chunk", SamAutomaticMaskGenerator.DefaultPromptChunk);
        bool verify = args.Contains("--verify-chunks");
        bool official = !args.Contains("--no-official")
            && Environment.GetEnvironmentVariable("SAM_SRC") is not null && Environment.GetEnvironmentVariable("MOBILESAM_SRC") is not null;
        torch.set_num_threads(threads);
        if (!File.Exists(Path.Combine(dir, "embedding_1024.pth"))) Python(["prepare", dir], threads);

        Console.WriteLine($"# everything mode, 1024x1024 embedding, {threads} thread(s), pred_iou {iou}, stability {stab}");
        Console.WriteLine("| decoder | grid | ours mode | ours: wall s / cpu s | official: wall / cpu | ratio ours/official (wall, cpu) | masks (ours/official) | prompts | peak RSS MB | our stages |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        using var sd = Checkpoint.Load(Path.Combine(dir, "embedding_1024.pth"));
        var embedding = sd["embedding"];
        foreach (var m in models)
        {
            var ckpt = Path.Combine(dir, m == "vit_t" ? "mobile_sam_random.pth" : $"sam_{m}_random.pth");
            using var model = SamModel.FromCheckpoint(SamModelConfig.Get(m), ckpt);
            foreach (int n in grids)
            {
                var cfg = new AutomaticMaskGeneratorConfig { PointsPerSide = n, PredIouThresh = iou, StabilityScoreThresh = stab };
                Ours(model, cfg with { PointsPerSide = 4 }, embedding, true, chunk);   // warm-up
                if (verify) VerifyChunks(model, cfg, embedding, chunk);
                var rows = new List<(string Mode, Result R)>();
                foreach (var mode in modes)
                    rows.Add((mode, Ours(model, cfg with { Mode = mode == "fast" ? AmgMode.Fast : AmgMode.Exact }, embedding, true, chunk)));
                if (generic) rows.Add(("exact, generic decoder", Ours(model, cfg, embedding, false, chunk)));
                (double Wall, double Cpu, int Masks)? reference = official
                    ? Official(m, ckpt, Path.Combine(dir, "embedding_1024.pth"), n, iou, stab, threads) : null;
                string refText = reference is { } r ? $"{r.Wall:F1} / {r.Cpu:F1}" : "n/a (set SAM_SRC, MOBILESAM_SRC)";
                foreach (var (mode, o) in rows)
                {
                    string ratio = reference is { } q ? $"{o.Wall / q.Wall:F2}, {o.Cpu / q.Cpu:F2}" : "n/a";
                    Console.WriteLine($"| {m} | {n}x{n} | {mode} | {o.Wall:F1} / {o.Cpu:F1} | {refText} | {ratio} | " +
                        $"{o.Masks}/{(reference is { } x ? x.Masks.ToString() : "-")} | {o.Timings.Prompts} | {o.PeakRssMb:F0} | {o.Timings} |");
                }
            }
        }
        return 0;
    }

    sealed record Result(double Wall, double Cpu, int Masks, AmgTimings Timings, double PeakRssMb);

    /// <summary>
    /// Exact mode without filters or NMS, every prompt batch through the decoder at once and in chunks of <paramref name="chunk"/>:
    /// the records must be identical (the chunk bounds memory, it must not change results).
    /// </summary>
    static void VerifyChunks(SamModel model, AutomaticMaskGeneratorConfig cfg, torch.Tensor embedding, int chunk)
    {
        cfg = cfg with { PredIouThresh = 0, StabilityScoreThresh = 0, BoxNmsThresh = 1 };   // every mask of every prompt
        var a = new SamAutomaticMaskGenerator(model, cfg) { PromptChunk = cfg.PointsPerBatch }.Generate(1024, 1024, _ => embedding.clone());
        var b = new SamAutomaticMaskGenerator(model, cfg) { PromptChunk = chunk }.Generate(1024, 1024, _ => embedding.clone());
        bool same = a.Count == b.Count && a.Zip(b).All(p => p.First.Segmentation.Counts.SequenceEqual(p.Second.Segmentation.Counts)
            && p.First.PredictedIou == p.Second.PredictedIou && p.First.StabilityScore == p.Second.StabilityScore);
        Console.WriteLine($"# prompt chunk {cfg.PointsPerBatch} vs {chunk}: {a.Count} vs {b.Count} records, identical: {same}");
    }

    static Result Ours(SamModel model, AutomaticMaskGeneratorConfig cfg, torch.Tensor embedding, bool share, int chunk)
    {
        var gen = new SamAutomaticMaskGenerator(model, cfg) { ShareImageWork = share, PromptChunk = chunk };
        var proc = Process.GetCurrentProcess();
        var cpu0 = proc.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var masks = gen.Generate(1024, 1024, _ => embedding.clone());
        double wall = clock.Elapsed.TotalSeconds;
        proc.Refresh();
        return new Result(wall, (proc.TotalProcessorTime - cpu0).TotalSeconds, masks.Count, gen.LastTimings, PeakRssMb());
    }

    /// <summary>The process's resident-set high-water mark (Linux VmHWM), in MB.</summary>
    static double PeakRssMb()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:"));
        return line is null ? double.NaN : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
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
