using System.Text.Json;
using System.Text.Json.Serialization;

namespace VisualWords.Training;

/// <summary>
/// A training run as a JSON file: which model parts (<see cref="Model"/>, read by the model's own
/// factory), which data (<see cref="Data"/>), and how to optimise and checkpoint. Every field has a
/// default, so a config names only what it changes.
/// </summary>
public sealed record TrainConfig
{
    /// <summary>Model description, interpreted by the task factory (e.g. the referring segmenter's).</summary>
    public JsonElement? Model { get; init; }

    /// <summary>Data description, interpreted by the task factory.</summary>
    public JsonElement? Data { get; init; }

    public OptimConfig Optim { get; init; } = new();
    public RunConfig Run { get; init; } = new();

    /// <summary>
    /// The folder of the config file (null when parsed from text): relative paths in the config
    /// (<c>init</c>, <c>init_sam</c>, <c>init_vision_tower</c>, <c>dataset</c>, <c>data.dir</c>) mean paths beside the config,
    /// whatever folder the command runs in. Tasks resolve them with <see cref="ResolvePath"/>.
    /// </summary>
    [JsonIgnore]
    public string? BaseDirectory { get; init; }

    /// <summary>A path from the config, made absolute against <see cref="BaseDirectory"/> (null stays null).</summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(path))]
    public string? ResolvePath(string? path) =>
        path is null || path.Length == 0 || Path.IsPathRooted(path) || BaseDirectory is null ? path : Path.GetFullPath(Path.Combine(BaseDirectory, path));

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static TrainConfig Load(string path)
    {
        if (Directory.Exists(path)) throw new BadInputException($"config {path} is a folder; give the JSON file");
        if (!File.Exists(path)) throw new BadInputException($"config not found: {path}");
        return Parse(File.ReadAllText(path), Path.GetFileName(path)) with { BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(path)) };
    }

    public static TrainConfig Parse(string json, string what = "config")
    {
        TrainConfig? c;
        try
        {
            c = JsonSerializer.Deserialize<TrainConfig>(json, Json);
        }
        catch (JsonException e)
        {
            throw new BadInputException($"{what}: {JsonErrors.Describe(e)}");
        }
        if (c == null) throw new BadInputException($"{what}: empty config");
        c.Validate(what);
        return c;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    static readonly JsonSerializerOptions SectionJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    /// <summary>
    /// Reads a task's own view of the <c>model</c> or <c>data</c> section (snake_case, unknown fields
    /// refused); an absent section gives the defaults unless <paramref name="required"/>.
    /// </summary>
    public static T Section<T>(JsonElement? section, string name, bool required = false) where T : new()
    {
        if (section is not { ValueKind: JsonValueKind.Object } s)
            return required ? throw new BadInputException($"config: a {name} section is required") : new T();
        try
        {
            return s.Deserialize<T>(SectionJson) ?? new T();
        }
        catch (JsonException e)
        {
            throw new BadInputException($"config: {name} section: {JsonErrors.Describe(e)}");
        }
    }

    void Validate(string what)
    {
        void Check(bool ok, string msg)
        {
            if (!ok) throw new BadInputException($"{what}: {msg}");
        }
        Check(Optim.Lr > 0, "optim.lr must be positive");
        Check(Optim.Betas is { Length: 2 } && Optim.Betas.All(b => b is >= 0 and < 1), "optim.betas must be two numbers in [0, 1)");
        Check(Optim.WeightDecay >= 0, "optim.weight_decay must be >= 0");
        Check(Optim.GradAccumulation >= 1, "optim.grad_accumulation must be >= 1");
        Check(Optim.ClipGradNorm is null or > 0, "optim.clip_grad_norm must be positive (or null)");
        Check(Run.Steps >= 1, "run.steps must be >= 1");
        Check(Optim.WarmupSteps >= 0 && Optim.WarmupSteps <= Run.Steps, "optim.warmup_steps must be within run.steps");
        Check(Run.CheckpointEvery >= 1, "run.checkpoint_every must be >= 1");
        Check(Run.KeepLast >= 1, "run.keep_last must be >= 1");
        Check(Run.Workers >= 0, "run.workers must be >= 0");
    }
}

public enum LrSchedule { Cosine, Linear, Constant }

public sealed record OptimConfig
{
    public double Lr { get; init; } = 3e-4;
    public double MinLrRatio { get; init; } = 0.1;
    public double WeightDecay { get; init; } = 0.0;
    public double[] Betas { get; init; } = [0.9, 0.95];
    public double Eps { get; init; } = 1e-8;
    public int WarmupSteps { get; init; } = 100;
    public LrSchedule Schedule { get; init; } = LrSchedule.Cosine;
    public int GradAccumulation { get; init; } = 1;
    public double? ClipGradNorm { get; init; } = 1.0;
    /// <summary>Autocast matmuls to bf16 where the device supports it (CUDA); ignored on CPU.</summary>
    public bool Bf16 { get; init; } = false;
}

public sealed record RunConfig
{
    public long Steps { get; init; } = 1000;
    public long Seed { get; init; } = 1;
    public int CheckpointEvery { get; init; } = 100;
    public int KeepLast { get; init; } = 2;
    /// <summary>Validate every N steps (0: only at the end); the best score is kept in <c>best/</c>.</summary>
    public int EvalEvery { get; init; } = 0;
    /// <summary>Background threads preparing batches (0: prepare on the training thread).</summary>
    public int Workers { get; init; } = 1;
    public int LogEvery { get; init; } = 1;
}
