using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Projectors;

/// <summary>
/// LLaVA v1 / LISA's projector: one <c>nn.Linear(C, D)</c> per patch (h·w tokens, 256 for
/// CLIP-L/14 at 224). Registered as <c>mm_projector</c> (keys <c>mm_projector.weight</c>,
/// <c>mm_projector.bias</c>) so LISA's <c>model.mm_projector.*</c> loads with one prefix rule.
/// </summary>
public sealed class LinearProjector : VisualProjector
{
    readonly Linear mm_projector;

    public LinearProjector(LinearProjectorConfig config) : base(nameof(LinearProjector), config)
    {
        mm_projector = nn.Linear(config.VisionWidth, config.TextWidth);
        RegisterComponents();
    }

    public override VisualTokens forward(ProjectorInput input)
    {
        input.Validate(Config.VisionWidth, needsLabels: false);
        return VisualTokens.Dense(mm_projector.forward(input.PatchFeatures));
    }
}
