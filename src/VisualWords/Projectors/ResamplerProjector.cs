using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Projectors;

/// <summary>
/// A Q-Former / Perceiver-resampler style compressor: K learned queries (in the vision width)
/// cross-attend to the patch features for L pre-norm layers, then mlp2x_gelu. K tokens per
/// image whatever the grid size.
/// </summary>
public sealed class ResamplerProjector : VisualProjector
{
    readonly Parameter queries;
    readonly ModuleList<ResamplerLayer> layers;
    readonly LayerNorm norm;
    readonly Sequential mm_projector;

    public ResamplerProjector(ResamplerProjectorConfig config) : base(nameof(ResamplerProjector), config)
    {
        if (config.Queries < 1 || config.Layers < 1)
            throw new BadInputException($"resampler needs at least one query and one layer (got {config.Queries}, {config.Layers})");
        queries = new Parameter(randn(config.Queries, config.VisionWidth) * 0.02);
        layers = new ModuleList<ResamplerLayer>(
            Enumerable.Range(0, config.Layers).Select(_ => new ResamplerLayer(config)).ToArray());
        norm = nn.LayerNorm(config.VisionWidth);
        mm_projector = OutputMlp(config);
        RegisterComponents();
    }

    public override VisualTokens forward(ProjectorInput input)
    {
        input.Validate(Config.VisionWidth, needsLabels: false);
        using var scope = NewDisposeScope();
        var f = input.PatchFeatures;
        var x = queries.unsqueeze(0).expand(f.shape[0], -1, -1);
        foreach (var layer in layers) x = layer.forward(x, f);
        var result = VisualTokens.Dense(mm_projector.forward(norm.forward(x)));
        scope.MoveToOuter(result.Tokens, result.Mask);
        return result;
    }
}

/// <summary>x + attn(norm_queries x, norm_patches f), then x + ffn(norm_ffn x).</summary>
public sealed class ResamplerLayer : nn.Module<Tensor, Tensor, Tensor>
{
    readonly LayerNorm norm_queries, norm_patches, norm_ffn;
    readonly CrossAttention attn;
    readonly Sequential ffn;

    public ResamplerLayer(ResamplerProjectorConfig config) : base(nameof(ResamplerLayer))
    {
        var c = config.VisionWidth;
        norm_queries = nn.LayerNorm(c);
        norm_patches = nn.LayerNorm(c);
        attn = new CrossAttention(c, config.Heads);
        norm_ffn = nn.LayerNorm(c);
        ffn = FeedForward.Create(c, config.FfnRatio);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor patches)
    {
        using var scope = NewDisposeScope();
        x = x + attn.forward(norm_queries.forward(x), norm_patches.forward(patches), null);
        x = x + ffn.forward(norm_ffn.forward(x));
        return scope.MoveToOuter(x);
    }
}
