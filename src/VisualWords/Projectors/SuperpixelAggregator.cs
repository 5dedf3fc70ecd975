using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Projectors;

/// <summary>
/// SSA: each superpixel token gathers fine detail from inside its region and context from the
/// whole image. Per layer, the (pre-normed) tokens query the (pre-normed) patch features twice —
/// inside_attn masked to the patches the region covers, global_attn over all patches — and both
/// results are added to the token; then a feed-forward, also residual. Tokens never attend to each
/// other, so an image's tokens do not depend on how many other tokens are padded in beside them.
/// </summary>
public sealed class SuperpixelAggregator : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    readonly ModuleList<SuperpixelAggregatorLayer> layers;

    public SuperpixelAggregator(SemanticProjectorConfig config) : base(nameof(SuperpixelAggregator))
    {
        if (config.SsaLayers < 1) throw new BadInputException($"SSA needs at least one layer (got {config.SsaLayers})");
        layers = new ModuleList<SuperpixelAggregatorLayer>(
            Enumerable.Range(0, config.SsaLayers).Select(_ => new SuperpixelAggregatorLayer(config)).ToArray());
        RegisterComponents();
    }

    /// <summary>tokens: B x N x C, patches: B x (h·w) x C, inside: bool B x N x (h·w) (every row non-empty).</summary>
    public override Tensor forward(Tensor tokens, Tensor patches, Tensor inside)
    {
        using var scope = NewDisposeScope();
        foreach (var layer in layers) tokens = layer.forward(tokens, patches, inside);
        return scope.MoveToOuter(tokens.alias());
    }
}

public sealed class SuperpixelAggregatorLayer : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    readonly LayerNorm norm_tokens, norm_patches, norm_ffn;
    readonly CrossAttention inside_attn;
    readonly CrossAttention? global_attn;
    readonly Sequential ffn;

    public SuperpixelAggregatorLayer(SemanticProjectorConfig config) : base(nameof(SuperpixelAggregatorLayer))
    {
        var c = config.VisionWidth;
        norm_tokens = nn.LayerNorm(c);
        norm_patches = nn.LayerNorm(c);
        inside_attn = new CrossAttention(c, config.SsaHeads);
        if (config.SsaGlobal) global_attn = new CrossAttention(c, config.SsaHeads);
        norm_ffn = nn.LayerNorm(c);
        ffn = FeedForward.Create(c, config.SsaFfnRatio);
        RegisterComponents();
    }

    public override Tensor forward(Tensor tokens, Tensor patches, Tensor inside)
    {
        using var scope = NewDisposeScope();
        var q = norm_tokens.forward(tokens);
        var kv = norm_patches.forward(patches);
        var update = inside_attn.forward(q, kv, inside);
        if (global_attn is not null) update = update + global_attn.forward(q, kv, null);
        var x = tokens + update;
        x = x + ffn.forward(norm_ffn.forward(x));
        return scope.MoveToOuter(x);
    }
}
