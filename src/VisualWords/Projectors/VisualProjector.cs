using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Projectors;

/// <summary>
/// One interface for every way of turning patch features into LLM tokens; the config picks the
/// implementation (<see cref="ProjectorConfig.Create"/>). Every projector ends in LLaVA's output
/// layer registered as `mm_projector` (mlp2x_gelu, or LLaVA v1 / LISA's single Linear) so LLaVA
/// projector weights load into any of them.
/// </summary>
public abstract class VisualProjector : nn.Module<ProjectorInput, VisualTokens>
{
    protected VisualProjector(string name, ProjectorConfig config) : base(name) => Config = config;

    public ProjectorConfig Config { get; }

    /// <summary>LLaVA mlp2x_gelu: Linear(C, D) → GELU → Linear(D, D), keys mm_projector.0 / mm_projector.2.</summary>
    protected static Sequential OutputMlp(ProjectorConfig config) => nn.Sequential(
        ("0", nn.Linear(config.VisionWidth, config.TextWidth)),
        ("1", nn.GELU()),
        ("2", nn.Linear(config.TextWidth, config.TextWidth)));
}
