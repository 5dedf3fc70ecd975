using System.Text.Json;
using System.Text.Json.Nodes;
using VisualWords.Data;
using VisualWords.Language;
using VisualWords.Segmenter;
using VisualWords.Training;
using static TorchSharp.torch;

namespace VisualWords.Evaluation;

/// <summary>A row's scores on one split (fractions, not percent).</summary>
public sealed record SplitScore(int Expressions, double CIoU, double GIoU, double PrecisionAt50);

/// <summary>A baseline that ignores the expression (<see cref="PaperBenchmark.Baselines"/>), scored on every split like a row.</summary>
public sealed record PaperBaselineResult(string Name, IReadOnlyDictionary<string, SplitScore?> Splits);

/// <summary>A validation score on the training clock: after <c>Step</c> steps and <c>Seconds</c> of training.</summary>
public sealed record CurvePoint(long Step, double Seconds, double Score);

/// <summary>
/// Everything the paper table says about one row: what it is, its visual tokens, its scores per
/// split (null: the split has no samples), its training cost (from metrics.jsonl) and inference
/// cost (from the evaluator), and its LLM's prefill FLOPs at the row's mean prompt length.
/// </summary>
public sealed record PaperRowResult(
    string Row, string Label, long Seed, string Projector, string Superpixels, bool Grounding,
    int PatchesPerImage, double? TokensMean, double? TokensP95,
    IReadOnlyDictionary<string, SplitScore?> Splits,
    double TrainSeconds, double TrainSamplesPerSecond, double MsPerStep,
    double? FirstMs, double? CachedMs,
    double PromptTokens, double PrefillFlops,
    IReadOnlyList<CurvePoint> Curve);

/// <summary>
/// The paper's claim, measured: every row of a <see cref="PaperBudget"/> trained with the base recipe
/// plus the row's change (<see cref="Trainer"/>, <see cref="ReferringSegmentationTask"/>), then scored
/// with generated answers on every split (<see cref="ReferringEvaluator"/>, <see cref="SegmenterPredictor"/>).
/// <code>
///   WORK/data/                    the budget's ShapesWorld (generated once, resumable)
///   WORK/rows/ROW/train.json      the row's merged config (`visualwords train --config` runs it as is)
///   WORK/rows/ROW/run/            the Trainer's folder: checkpoints/, metrics.jsonl, validation.jsonl, loss.png
///   WORK/rows/ROW/eval/SPLIT.json the split's EvaluationReport (and .md)
///   WORK/rows/ROW/result.json     the row's PaperRowResult, written last: the row is done
/// </code>
/// Every stage is skipped when its output exists, so an interrupted run continues where it stopped
/// (training from its newest checkpoint) and finished rows are reused. A row folder made from
/// another config is refused rather than mixed in.
/// </summary>
public static class PaperBenchmark
{
    public static readonly IReadOnlyList<string> Splits = ["val", "testA", "testB", "compositional"];

    /// <summary>Runs (or reuses) every row of the budget; <paramref name="trainProgress"/> gives each row's trainer its progress sink.</summary>
    public static IReadOnlyList<PaperRowResult> Run(PaperBudget budget, string recipePath, string workDir, Device device,
        Action<string> say, Func<PaperRow, ITrainingProgress?>? trainProgress = null)
    {
        var dataDir = Path.GetFullPath(Path.Combine(workDir, "data"));
        var rows = budget.Rows.Select(PaperRow.Get)
            .Select(r => (Row: r, Config: RowConfig(recipePath, budget, r, dataDir).ToJsonString(new JsonSerializerOptions { WriteIndented = true }))).ToList();
        foreach (var (row, json) in rows)   // a broken recipe or row fails before any work, not hours into the run
        {
            var section = TrainConfig.Section<ReferringModelSection>(TrainConfig.Parse(json, $"row {row.Name}'s config").Model, "model");
            VisualWordsConfig.Parse(section.Config, $"row {row.Name}'s model.config").Validate();
        }
        say($"data: ShapesWorld, {budget.Images} images of {budget.ImageSize} px, seed {budget.DataSeed}, in {dataDir}");
        ShapesWorldWriter.Write(dataDir, budget.Images, budget.DataSeed, budget.DataOptions, threads: 1);
        var dataset = ReferDataset.Open(dataDir);
        if (dataset.Samples("val").Samples.Count == 0) throw new BadInputException($"{dataDir}: the val split is empty; the budget needs more images");
        var results = new List<PaperRowResult>();
        foreach (var ((row, config), i) in rows.Select((r, i) => (r, i)))
        {
            say($"row {i + 1}/{rows.Count}: {row.Name} ({row.Label})");
            results.Add(RunRow(row, budget, config, Path.Combine(workDir, "rows", row.Name), dataset, device, say, trainProgress?.Invoke(row)));
        }
        return results;
    }

    static PaperRowResult RunRow(PaperRow row, PaperBudget budget, string configJson, string dir, ReferDataset dataset,
        Device device, Action<string> say, ITrainingProgress? progress)
    {
        var trainJson = Path.Combine(dir, "train.json");
        if (File.Exists(trainJson) && File.ReadAllText(trainJson) != configJson)
            throw new BadInputException($"{dir} was made from another config than this run's ({trainJson}); remove the folder or choose another --work");
        var resultPath = Path.Combine(dir, "result.json");
        if (File.Exists(resultPath))
        {
            say($"  {row.Name}: finished earlier, reusing {resultPath}");
            return JsonSerializer.Deserialize<PaperRowResult>(File.ReadAllText(resultPath), Json) ?? throw new BadInputException($"{resultPath} is empty");
        }
        AtomicFile.WriteAllText(trainJson, configJson);
        var config = TrainConfig.Load(trainJson);
        var runDir = Path.Combine(dir, "run");
        if (Trainer.FinishedStep(config, runDir) is long done) say($"  {row.Name}: trained earlier (step {done})");
        else
        {
            using var task = TrainingTasks.Create(config);
            new Trainer(config, task, runDir, progress).Run(resume: true);
        }
        var model = FinalCheckpoint(config, runDir);
        var result = Evaluate(row, budget, config, model, TrainingCost.Of(config, runDir), Path.Combine(dir, "eval"), dataset, device, say);
        AtomicFile.WriteAllText(resultPath, JsonSerializer.Serialize(result, Json));
        return result;
    }

    /// <summary>A row's final checkpoint: the model folder it is scored with (and the baselines take their words from).</summary>
    static string FinalCheckpoint(TrainConfig config, string runDir) =>
        new TrainingCheckpoints(runDir, config.Run.KeepLast).Latest()
            ?? throw new InvalidOperationException($"{runDir}: training ended without a checkpoint");

    /// <summary>Scores the final checkpoint on every split (each split's report kept, so a rerun skips it) and measures its prompt.</summary>
    static PaperRowResult Evaluate(PaperRow row, PaperBudget budget, TrainConfig config, string modelDir, TrainingCost cost, string evalDir,
        ReferDataset dataset, Device device, Action<string> say)
    {
        var segmenter = ReferringSegmenter.Load(modelDir, device);
        using var predictor = new SegmenterPredictor(segmenter, row.Name);
        var reports = new Dictionary<string, EvaluationRow?>();
        foreach (var split in Splits)
        {
            var path = Path.Combine(evalDir, split + ".json");
            if (File.Exists(path)) { reports[split] = EvaluationReport.FromJson(File.ReadAllText(path)).Rows[0]; continue; }
            if (dataset.Samples(split).Samples.Count == 0) { reports[split] = null; say($"  {row.Name}: split {split} is empty, skipped"); continue; }
            say($"  {row.Name}: evaluating {split} (up to {budget.EvalLimit} expressions, generated answers)");
            var report = ReferringEvaluator.Evaluate(dataset, split, [predictor], budget.EvalLimit);
            report.Save(path);
            reports[split] = report.Rows[0];
        }
        var m = segmenter.Model;
        var (gh, gw) = m.vision_tower.GridSize(m.Config.VisionSize, m.Config.VisionSize);
        var val = reports["val"]!;
        double prompt = TextTokens(m, dataset.Samples("val").Samples.Take(budget.EvalLimit)) + (val.VisualTokensMean ?? 0);
        var scored = reports.Values.OfType<EvaluationRow>().ToList();
        return new PaperRowResult(row.Name, row.Label, config.Run.Seed, m.Config.Projector, m.Config.Superpixels.Kind, m.Config.Grounding,
            gh * gw, val.VisualTokensMean, val.VisualTokensP95,
            reports.ToDictionary(kv => kv.Key, kv => kv.Value is { } r ? new SplitScore(r.Expressions, r.CIoU, r.GIoU, r.PrecisionAt[EvaluationReport.Key(0.5)]) : null),
            cost.Seconds, cost.SamplesPerSecond, cost.MedianStepMs,
            WeightedMean(scored, r => r.LatencyFirstMs, r => r.Images), WeightedMean(scored, r => r.LatencyCachedMs, r => r.Expressions - r.Images),
            prompt, LlamaFlops.Prefill(m.llm.Config, prompt), cost.Curve);
    }

    /// <summary>Mean prompt length without the image: the tokens the LLM prefills besides the visual ones.</summary>
    static double TextTokens(VisualWordsModel m, IEnumerable<ReferSample> samples) => samples.Average(s =>
    {
        using var packed = MultimodalPacker.Pack(m.Tokenizer, [m.Conversation(s.Expression, 1, withAnswer: false)]);
        return packed.InputIds.shape[1] - 1.0;
    });

    /// <summary>The mean over splits of a per-split mean, weighted by how many values each split averaged.</summary>
    static double? WeightedMean(IReadOnlyList<EvaluationRow> rows, Func<EvaluationRow, double?> value, Func<EvaluationRow, int> count)
    {
        var parts = rows.Where(r => value(r) is not null && count(r) > 0).ToList();
        return parts.Count == 0 ? null : parts.Sum(r => value(r)!.Value * count(r)) / parts.Sum(count);
    }

    // ── chance: baselines that ignore the expression ─────────────────────────────────────────

    /// <summary>
    /// The levels a row must beat to show it refers at all, on the same splits and expressions: a
    /// random visual word and the largest visual word (the SVP row's own semantic words, so "random
    /// word" is exactly chance for a model that picks one of its words), and the whole image. Scored
    /// once per work folder (WORK/baselines/SPLIT.json) and reused by a rerun. Empty when the budget
    /// has no SVP row to take the words from.
    /// </summary>
    public static IReadOnlyList<PaperBaselineResult> Baselines(PaperBudget budget, string workDir, Device device, Action<string> say)
    {
        var svpDir = Path.Combine(workDir, "rows", "svp");
        if (!budget.Rows.Contains("svp") || !File.Exists(Path.Combine(svpDir, "result.json"))) return [];
        var dataset = ReferDataset.Open(Path.GetFullPath(Path.Combine(workDir, "data")));
        var dir = Path.Combine(workDir, "baselines");
        ReferringSegmenter? segmenter = null;
        var reports = new Dictionary<string, EvaluationReport?>();
        try
        {
            foreach (var split in Splits)
            {
                var path = Path.Combine(dir, split + ".json");
                if (File.Exists(path)) { reports[split] = EvaluationReport.FromJson(File.ReadAllText(path)); continue; }
                if (dataset.Samples(split).Samples.Count == 0) { reports[split] = null; continue; }
                if (segmenter is null)
                {
                    var model = FinalCheckpoint(TrainConfig.Load(Path.Combine(svpDir, "train.json")), Path.Combine(svpDir, "run"));
                    segmenter = ReferringSegmenter.Load(model, device);
                }
                say($"baselines: evaluating {split} (random word, largest word, whole image; up to {budget.EvalLimit} expressions)");
                var words = new ModelWordsSuperpixelizer(segmenter.Model);
                var report = ReferringEvaluator.Evaluate(dataset, split,
                    [new RandomSuperpixelBaseline(words, seed: 0), new LargestSuperpixelBaseline(words), new WholeImageBaseline()], budget.EvalLimit);
                report.Save(path);
                reports[split] = report;
            }
        }
        finally
        {
            segmenter?.Dispose();
        }
        var names = reports.Values.OfType<EvaluationReport>().FirstOrDefault()?.Rows.Select(r => r.Predictor).ToList() ?? [];
        return names.Select(name => new PaperBaselineResult(name, Splits.ToDictionary(s => s, s =>
            reports[s]?.Rows.FirstOrDefault(r => r.Predictor == name) is { } r
                ? new SplitScore(r.Expressions, r.CIoU, r.GIoU, r.PrecisionAt[EvaluationReport.Key(0.5)]) : null))).ToList();
    }

    // ── the same question at real scale ──────────────────────────────────────────────────────

    /// <summary>The paper's token budget for SVP: ~93% fewer tokens than patches, i.e. 7% of them.</summary>
    public const double PaperTokenShare = 0.07;

    /// <summary>
    /// The per-query cost at the budget's real-scale sizes (<see cref="RealScaleCost"/>), for SVP at the
    /// visual tokens its rows measured here and at the paper's 7% of the tower's patches; measured once
    /// per work folder (WORK/real-scale.json) and reused by a rerun, like a finished row.
    /// </summary>
    public static RealScaleCost RealScale(PaperBudget budget, IReadOnlyList<PaperRowResult> rows, string workDir, string llamaTokenizer, Action<string> say)
    {
        var path = Path.Combine(workDir, "real-scale.json");
        if (File.Exists(path))
        {
            say($"real scale: measured earlier, reusing {path}");
            return JsonSerializer.Deserialize<RealScaleCost>(File.ReadAllText(path), Json) ?? throw new BadInputException($"{path} is empty");
        }
        var (text, question) = RealScaleCost.PromptTokens(LlamaTextTokenizer.Load(llamaTokenizer));
        var tower = Vision.VisionTowers.Get(budget.RealScale.Tower);
        int patches = (budget.RealScale.TowerSide / tower.PatchSize) * (budget.RealScale.TowerSide / tower.PatchSize);
        var svpTokens = new List<(string, double)>();
        if (rows.Where(r => r.Row is "svp" or "svp-s2" && r.TokensMean is not null).Select(r => r.TokensMean!.Value).ToList() is { Count: > 0 } measured)
            svpTokens.Add(("SVP's mean on ShapesWorld val, measured above", measured.Average()));
        svpTokens.Add(($"the paper's ~93% fewer, i.e. {PaperTokenShare * 100:0}% of {patches} patches; not measured here", PaperTokenShare * patches));
        var cost = RealScaleCost.Measure(budget.RealScale, svpTokens, text, question, say);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(cost, Json));
        return cost;
    }

    // ── training cost and curve, from the trainer's logs ──────────────────────────────────────

    /// <summary>
    /// A run's training cost and validation curve, from the trainer's logs: each step lasts its
    /// samples over its measured samples/s (metrics.jsonl) — validation and checkpoints excluded,
    /// first-visit image encoding (SAM, everything mode) included, as the row pays for it.
    /// </summary>
    sealed record TrainingCost(double Seconds, double SamplesPerSecond, double MedianStepMs, IReadOnlyList<CurvePoint> Curve)
    {
        public static TrainingCost Of(TrainConfig config, string runDir)
        {
            int samples = TrainConfig.Section<ReferringDataSection>(config.Data, "data").BatchSize * config.Optim.GradAccumulation;
            var steps = Trainer.ReadJsonl<StepMetrics>(Path.Combine(runDir, "metrics.jsonl")).OrderBy(m => m.Step).ToList();
            if (steps.Count == 0) throw new InvalidOperationException($"{runDir}/metrics.jsonl has no steps");
            var durations = steps.Select(m => samples / Math.Max(1e-9, m.SamplesPerSecond)).ToList();
            var clock = new Dictionary<long, double>();
            double t = 0;
            for (int i = 0; i < steps.Count; i++) clock[steps[i].Step] = t += durations[i];
            var curve = Trainer.ReadJsonl<ValidationPoint>(Path.Combine(runDir, "validation.jsonl"))
                .Select(v => new CurvePoint(v.Step, clock.GetValueOrDefault(v.Step, t), v.Score)).ToList();
            return new TrainingCost(t, steps.Count * samples / t, 1000 * Percentiles.Of(durations, 0.5), curve);
        }
    }

    // ── configs ───────────────────────────────────────────────────────────────────────────────

    /// <summary>A row's training config: the base recipe, then the budget's settings, then the row's own change.</summary>
    internal static JsonObject RowConfig(string recipePath, PaperBudget budget, PaperRow row, string dataDir) =>
        Merge(Merge(LoadRecipe(recipePath), budget.TrainOverrides(dataDir, Path.Combine(Path.GetDirectoryName(dataDir) ?? dataDir, "words-cache"))), RowOverrides(row));

    /// <summary>The base recipe as JSON, with its relative model paths made absolute (the merged config is written elsewhere).</summary>
    static JsonObject LoadRecipe(string path)
    {
        var recipe = TrainConfig.Load(path);     // validates it and gives its folder
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        if (JsonNode.Parse(File.ReadAllText(path), documentOptions: options) is not JsonObject root || root["model"] is not JsonObject model)
            throw new BadInputException($"{path}: expected a training config with a model section");
        foreach (var key in new[] { "init", "init_sam", "init_vision_tower" })
            if (model[key]?.GetValue<string>() is { } p) model[key] = recipe.ResolvePath(p);
        return root;
    }

    static JsonObject RowOverrides(PaperRow row)
    {
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip };
        var modelConfig = JsonNode.Parse(row.ModelConfig, documentOptions: options) as JsonObject
            ?? throw new InvalidOperationException($"row {row.Name}: its model config is not a JSON object");
        return new JsonObject { ["model"] = new JsonObject { ["config"] = modelConfig }, ["run"] = new JsonObject { ["seed"] = row.Seed } };
    }

    /// <summary>Deep merge: objects key by key, anything else replaced by the override.</summary>
    static JsonObject Merge(JsonObject target, JsonObject overrides)
    {
        foreach (var (key, value) in overrides)
            target[key] = value is JsonObject o && target[key] is JsonObject t ? Merge(t, o) : value?.DeepClone();
        return target;
    }

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
