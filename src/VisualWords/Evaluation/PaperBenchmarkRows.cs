using System.Text.Json.Nodes;
using VisualWords.Data;

namespace VisualWords.Evaluation;

/// <summary>
/// One row of the paper's table: a name (its folder under WORK/rows), what it tests, and what it
/// changes in the base recipe's <c>model.config</c> (a JSON object merged key by key), plus its seed.
/// </summary>
public sealed record PaperRow(string Name, string Label, string ModelConfig, long Seed = 1)
{
    /// <summary>Patch rows never read the partition, so they use the grid (no everything-mode cost charged to them).</summary>
    const string PatchOnly = "\"superpixels\": { \"kind\": \"grid\" }";

    /// <summary>Every row, in table order. Two seeds for the patch MLP and for SVP show the run-to-run spread.</summary>
    public static readonly IReadOnlyList<PaperRow> All =
    [
        new("patch-mlp", "patch MLP (mlp2x_gelu)", $$"""{ "projector": "mlp2x_gelu", {{PatchOnly}} }"""),
        new("patch-mlp-s2", "patch MLP (mlp2x_gelu), seed 2", $$"""{ "projector": "mlp2x_gelu", {{PatchOnly}} }""", Seed: 2),
        new("pool2", "pooling 2x2", $$"""{ "projector": "pool2", {{PatchOnly}} }"""),
        new("pool4", "pooling 4x4", $$"""{ "projector": "pool4", {{PatchOnly}} }"""),
        new("resampler16", "resampler K=16", $$"""{ "projector": "resampler16", {{PatchOnly}} }"""),
        new("resampler64", "resampler K=64", $$"""{ "projector": "resampler64", {{PatchOnly}} }"""),
        new("svp", "SVP on semantic superpixels (the paper)", "{}"),
        new("svp-s2", "SVP on semantic superpixels, seed 2", "{}", Seed: 2),
        new("svp-no-sspe", "SVP without SSPE", """{ "projector": "semantic-no-sspe", "sspe_colour": false }"""),
        new("svp-no-ssa", "SVP without SSA", """{ "projector": "semantic-no-ssa" }"""),
        new("svp-pool-only", "pooling only, semantic superpixels", """{ "projector": "semantic-pool-only", "sspe_colour": false }"""),
        new("svp-slic", "SVP on SLIC superpixels", """{ "superpixels": { "kind": "slic" } }"""),
        new("svp-grid", "SVP on the regular grid", """{ "superpixels": { "kind": "grid" } }"""),
        new("svp-grounding", "SVP + visual-word grounding", """{ "grounding": true }"""),
    ];

    /// <summary>The rows whose validation curves the second plot compares (patch MLP against SVP).</summary>
    public static readonly IReadOnlyList<string> CurveRows = ["patch-mlp", "patch-mlp-s2", "svp", "svp-s2"];

    public static PaperRow Get(string name) => All.FirstOrDefault(r => r.Name == name)
        ?? throw new BadInputException($"unknown paper row '{name}'; known: {string.Join(", ", All.Select(r => r.Name))}");
}

/// <summary>
/// How much of the paper table a run measures: the ShapesWorld it generates, how long each row
/// trains, how many expressions each split scores, and which rows. Every row of a budget shares
/// all of these; only the row's own change differs.
/// </summary>
public sealed record PaperBudget(
    string Name,
    int Images, int ImageSize, long DataSeed, double SplitFraction,
    long Steps, int BatchSize, int WarmupSteps, int EvalEvery, int ValSamples,
    int EvalLimit,
    IReadOnlyList<string> Rows,
    string Sizing)
{
    /// <summary>
    /// A few minutes on 2 cores: 24 images, 4 steps of 4 expressions, 6 expressions per split,
    /// three rows (patch MLP, SVP, SVP + grounding) — enough to exercise every stage and both
    /// plots, not to compare anything.
    /// </summary>
    public static readonly PaperBudget Quick = new("quick",
        Images: 24, ImageSize: 128, DataSeed: 7, SplitFraction: 0.15,
        Steps: 4, BatchSize: 4, WarmupSteps: 1, EvalEvery: 2, ValSamples: 4,
        EvalLimit: 6,
        Rows: ["patch-mlp", "svp", "svp-grounding"],
        Sizing: "a smoke run: every stage and both plots, numbers meaningless")
    { RealScale = RealScaleDims.Tiny };

    /// <summary>
    /// Every row within ~2 hours on 2 quiet cores (see <see cref="Sizing"/>).
    /// </summary>
    public static readonly PaperBudget Full = new("full",
        Images: 600, ImageSize: 128, DataSeed: 11, SplitFraction: 0.05,
        Steps: 300, BatchSize: 16, WarmupSteps: 20, EvalEvery: 50, ValSamples: 96,
        EvalLimit: 200,
        Rows: PaperRow.All.Select(r => r.Name).ToList(),
        Sizing: "600 images (480 train, ~9,500 expressions; ~30 per eval split), 300 steps x 16 expressions (half an epoch, " +
                "so every train image is encoded once per row), validation on 96 val expressions every 50 steps, 200 generated " +
                "answers per split. Measured on 2 cores on 2026-12-02 (first full run): a patch-MLP row ~14 minutes (13 of training " +
                "steps at ~6 samples/s), a pooling or resampler row 5-6, an SVP-like row 4-6 (17-23 samples/s), each including " +
                "encoding its images and scoring the four splits; about 100 minutes for the 14 rows, plus ~4 for the real-scale section. " +
                "Each row trains on 4,800 samples, a twentieth of what the shipped model needed to refer (stage 1 + 2: ~96,000)");

    /// <summary>The model sizes of the report's per-query cost section (<see cref="RealScaleCost"/>).</summary>
    public RealScaleDims RealScale { get; init; } = RealScaleDims.Real;

    public static readonly IReadOnlyList<PaperBudget> All = [Quick, Full];

    public static PaperBudget Get(string name) => All.FirstOrDefault(b => b.Name == name)
        ?? throw new BadInputException($"--budget '{name}': use {string.Join(" or ", All.Select(b => b.Name))}");

    public ShapesWorldOptions DataOptions => new()
    {
        Size = ImageSize, ValFraction = SplitFraction, TestAFraction = SplitFraction, TestBFraction = SplitFraction, CompositionalFraction = SplitFraction,
    };

    /// <summary>What the budget sets in every row's training config; the rows share one words cache
    /// (rows with the same superpixels compute each image's words once).</summary>
    public JsonObject TrainOverrides(string dataset, string wordsCache) => new()
    {
        ["data"] = new JsonObject { ["dataset"] = dataset, ["batch_size"] = BatchSize, ["val_samples"] = ValSamples, ["words_cache"] = wordsCache },
        ["optim"] = new JsonObject { ["warmup_steps"] = WarmupSteps },
        ["run"] = new JsonObject { ["steps"] = Steps, ["eval_every"] = EvalEvery, ["checkpoint_every"] = EvalEvery },
    };
}
