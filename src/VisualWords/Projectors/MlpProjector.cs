using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Projectors;

/// <summary>LLaVA-1.5 mlp2x_gelu: every patch becomes a token (h·w tokens, 576 for CLIP-L/336).</summary>
public sealed class MlpProjector : VisualProjector
{
    readonly Sequential mm_projector;

    public MlpProjector(MlpProjectorConfig config) : base(nameof(MlpProjector), config)
    {
        mm_projector = OutputMlp(config);
        RegisterComponents();
    }

    public override VisualTokens forward(ProjectorInput input)
    {
        input.Validate(Config.VisionWidth, needsLabels: false);
        return VisualTokens.Dense(mm_projector.forward(input.PatchFeatures));
    }
}
