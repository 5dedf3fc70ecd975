using System.Diagnostics;
using System.Text.Json;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Training;

/// <summary>One logged optimisation step (a line of metrics.jsonl).</summary>
public sealed record StepMetrics(long Step, double Loss, IReadOnlyDictionary<string, double> Parts, double Lr, double GradNorm, double SamplesPerSecond);

/// <summary>One validation score, after <see cref="Step"/> steps (a line of validation.jsonl).</summary>
public sealed record ValidationPoint(long Step, double Score);

/// <summary>Progress callbacks, so the CLI can draw a progress bar and tests can stay quiet.</summary>
public interface ITrainingProgress
{
    void Started(long firstStep, long totalSteps);
    void Step(StepMetrics m, TimeSpan eta);
    void Message(string text);
}

/// <summary>
/// The optimisation loop: AdamW, warmup + decay, gradient accumulation and clipping, atomic
/// checkpoints with resume, best-by-validation, metrics.jsonl, validation.jsonl and a loss-curve PNG. Randomness is a
/// function of (seed, step), and the learning rate of the step, so a resumed run reproduces an
/// uninterrupted one exactly.
/// </summary>
public sealed class Trainer(TrainConfig config, ITrainingTask task, string outDir, ITrainingProgress? progress = null)
{
    const string MetricsFile = "metrics.jsonl", ValidationFile = "validation.jsonl", CurveFile = "loss.png";
    public string MetricsPath => Path.Combine(outDir, MetricsFile);
    public string LossCurvePath => Path.Combine(outDir, CurveFile);
    public string ValidationPath => Path.Combine(outDir, ValidationFile);

    /// <summary>The step of the newest checkpoint in <paramref name="runDir"/> when it has reached run.steps, else null (nothing yet, or unfinished).</summary>
    public static long? FinishedStep(TrainConfig config, string runDir) =>
        new TrainingCheckpoints(runDir, config.Run.KeepLast).Latest() is { } latest && TrainingCheckpoints.StepOf(latest) is var done && done >= config.Run.Steps
            ? done : null;

    /// <summary>Stop after this step even if run.steps is larger (tests use it to simulate a crash).</summary>
    public long? StopAfterStep { get; init; }

    public IReadOnlyList<StepMetrics> Run(bool resume)
    {
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, "config.json"), config.ToJson());
        var o = config.Optim;
        var parameters = task.TrainableParameters;
        if (parameters.Count == 0) throw new BadInputException("the model has no trainable parameters");
        using var optimizer = optim.AdamW(parameters, o.Lr, o.Betas[0], o.Betas[1], o.Eps, o.WeightDecay);
        var ckpt = new TrainingCheckpoints(outDir, config.Run.KeepLast, task.WriteModelFiles);

        long start = 0;
        double? best = null;
        long? bestStep = null;
        if (resume && ckpt.Latest() is { } latest)
        {
            var st = TrainingCheckpoints.Restore(latest, task.Model, optimizer);
            start = st.Step;
            (best, bestStep) = (st.BestScore, st.BestStep);
            progress?.Message($"resumed from {Path.GetFileName(latest)} (step {start})");
        }
        else if (!resume && ckpt.Latest() != null)
        {
            throw new BadInputException($"{outDir} already holds checkpoints: pass --resume to continue, or choose another --out");
        }
        var history = ReadJsonl<StepMetrics>(MetricsPath, m => m.Step <= start);
        var validation = ReadJsonl<ValidationPoint>(ValidationPath, v => v.Step <= start);
        WriteJsonl(MetricsPath, history);
        WriteJsonl(ValidationPath, validation);

        long end = Math.Min(config.Run.Steps, StopAfterStep ?? long.MaxValue);
        int accum = o.GradAccumulation;
        using var loader = new BatchPrefetcher(i => task.PrepareBatch(i / accum, (int)(i % accum)), start * accum, end * accum, config.Run.Workers);
        progress?.Started(start, config.Run.Steps);
        var clock = Stopwatch.StartNew();
        long doneSinceStart = 0;
        task.SetTrainMode();
        for (long step = start; step < end; step++)
        {
            var sw = Stopwatch.StartNew();
            manual_seed(unchecked(config.Run.Seed * 1_000_003 + step));
            double lr = LearningRateSchedule.At(o, step, config.Run.Steps);
            foreach (var g in optimizer.ParamGroups) g.LearningRate = lr;
            optimizer.zero_grad();
            double total = 0;
            int samples = 0;
            var parts = new Dictionary<string, double>();
            for (int micro = 0; micro < accum; micro++)
            {
                using var scope = NewDisposeScope();
                var batch = loader.Take(step * accum + micro);
                try
                {
                    var loss = task.Loss(batch);
                    (loss.Total / accum).backward();
                    total += loss.Total.item<float>() / accum;
                    samples += loss.Samples;
                    foreach (var (k, v) in loss.Parts) parts[k] = parts.GetValueOrDefault(k) + v / accum;
                }
                finally
                {
                    (batch as IDisposable)?.Dispose();
                }
            }
            if (!double.IsFinite(total)) throw new InvalidOperationException($"loss became {total} at step {step}; lower optim.lr or check the data");
            double gradNorm = o.ClipGradNorm is double clip
                ? nn.utils.clip_grad_norm_(parameters, clip)
                : GradNorm(parameters);
            optimizer.step();
            var m = new StepMetrics(step + 1, total, parts, lr, gradNorm, samples / Math.Max(1e-9, sw.Elapsed.TotalSeconds));
            history.Add(m);
            AppendJsonl(MetricsPath, m);
            doneSinceStart++;
            var eta = TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / doneSinceStart * (config.Run.Steps - step - 1));
            if ((step + 1) % config.Run.LogEvery == 0 || step + 1 == end) progress?.Step(m, eta);

            bool last = step + 1 == config.Run.Steps;
            if (config.Run.EvalEvery > 0 && (step + 1) % config.Run.EvalEvery == 0 || last)
            {
                task.Model.eval();
                var score = task.Validate();
                task.SetTrainMode();
                if (score is double s)
                {
                    progress?.Message($"step {step + 1}: {task.ValidationMetric} {s:F4}");
                    validation.Add(new ValidationPoint(step + 1, s));
                    AppendJsonl(ValidationPath, validation[^1]);
                    if (best == null || s > best)
                    {
                        (best, bestStep) = (s, step + 1);
                        ckpt.SaveBest(task.Model, new TrainerState(step + 1, best, bestStep, config.ToJson()));
                    }
                }
            }
            if ((step + 1) % config.Run.CheckpointEvery == 0 || step + 1 == end)
                ckpt.Save(step + 1, task.Model, optimizer, new TrainerState(step + 1, best, bestStep, config.ToJson()));
        }
        SaveCurve(history, validation, LossCurvePath, task.ValidationMetric);
        return history;
    }

    /// <summary>
    /// Draws a run folder's curve again from its logs (metrics.jsonl, validation.jsonl) — after a run
    /// that was stopped before its end, or to another path. Returns the number of steps drawn.
    /// </summary>
    public static int RedrawCurve(string runDir, string? path = null, string validationName = "validation")
    {
        var metrics = Path.Combine(runDir, MetricsFile);
        if (!File.Exists(metrics)) throw new BadInputException($"{runDir}: no {MetricsFile} (not a run folder?)");
        var history = ReadJsonl<StepMetrics>(metrics);
        SaveCurve(history, ReadJsonl<ValidationPoint>(Path.Combine(runDir, ValidationFile)), path ?? Path.Combine(runDir, CurveFile), validationName);
        return history.Count;
    }

    static void SaveCurve(IReadOnlyList<StepMetrics> history, IEnumerable<ValidationPoint> validation, string path, string validationName) =>
        LossCurve.Save(history, path, validation: validation.Select(v => (v.Step, v.Score)).ToList(), validationName: validationName);

    static double GradNorm(IReadOnlyList<Parameter> ps)
    {
        using var scope = NewDisposeScope();
        double sq = 0;
        foreach (var p in ps)
            if (p.grad is { } g) sq += g.pow(2).sum().item<float>();
        return Math.Sqrt(sq);
    }

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The lines of a JSONL log that <paramref name="keep"/> accepts (a resumed run drops what came after its checkpoint).</summary>
    public static List<T> ReadJsonl<T>(string path, Func<T, bool>? keep = null)
    {
        if (!File.Exists(path)) return new();
        var list = new List<T>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                var m = JsonSerializer.Deserialize<T>(line, Json);
                if (m != null && (keep == null || keep(m))) list.Add(m);
            }
            catch (JsonException) { } // a line cut short by a kill
        }
        return list;
    }

    static void WriteJsonl<T>(string path, List<T> list)
    {
        var tmp = path + ".tmp";
        File.WriteAllLines(tmp, list.Select(m => JsonSerializer.Serialize(m, Json)));
        File.Move(tmp, path, overwrite: true);
    }

    static void AppendJsonl<T>(string path, T m) => File.AppendAllText(path, JsonSerializer.Serialize(m, Json) + "\n");
}
