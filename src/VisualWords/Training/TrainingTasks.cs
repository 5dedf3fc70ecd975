using System.Text.Json;

namespace VisualWords.Training;

/// <summary>
/// Builds the task a config asks for from its <c>model.kind</c>. One line per kind; each kind's
/// factory reads its own <c>model</c> and <c>data</c> sections.
/// </summary>
public static class TrainingTasks
{
    public static readonly Dictionary<string, Func<TrainConfig, ITrainingTask>> Kinds = new(StringComparer.Ordinal)
    {
        ["sam"] = c => new SamTrainingTask(c),
        ["referring"] = c => new ReferringSegmentationTask(c),
    };

    public static ITrainingTask Create(TrainConfig config)
    {
        if (config.Model is not { ValueKind: JsonValueKind.Object } model || !model.TryGetProperty("kind", out var k) || k.GetString() is not { } kind)
            throw new BadInputException($"config: model.kind is required (one of {string.Join(", ", Kinds.Keys)})");
        return Kinds.TryGetValue(kind, out var make) ? make(config)
            : throw new BadInputException($"config: unknown model.kind '{kind}' (one of {string.Join(", ", Kinds.Keys)})");
    }
}
