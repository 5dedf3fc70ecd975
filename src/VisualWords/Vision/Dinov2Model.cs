using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Vision;

/// <summary>
/// DINOv2 ViT with Hugging Face Dinov2Model parameter names (embeddings.*, encoder.layer.N.*,
/// layernorm) — also Dinov2WithRegisters when <see cref="Dinov2Config.Registers"/> &gt; 0.
/// forward: B x 3 x H x W normalized pixels → B x (H/p·W/p) x C (CLS and registers dropped).
/// </summary>
public sealed class Dinov2Model : VisionTower
{
    readonly Dinov2Embeddings embeddings;
    readonly Dinov2Encoder encoder;
    readonly LayerNorm layernorm;
    readonly Dinov2Config _config;
    readonly int _featureIndex;

    public Dinov2Model(Dinov2Config config, Device? device = null) : base(nameof(Dinov2Model), config)
    {
        _config = config;
        embeddings = new Dinov2Embeddings(config, device);
        encoder = new Dinov2Encoder(config, device);
        layernorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device);
        _featureIndex = ResolveLayer(config.FeatureLayer, config.Layers);
        RegisterComponents();
    }

    public override Tensor forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var hidden = HiddenState(pixels, _featureIndex);
        if (_config.FinalNorm) hidden = layernorm.forward(hidden);
        return scope.MoveToOuter(hidden[.., (1 + _config.Registers)..].contiguous());
    }

    /// <summary>HF hidden_states[layer] (before the final norm): B x (1 + registers + h·w) x C.</summary>
    public Tensor HiddenState(Tensor pixels, int layer)
    {
        CheckPixels(pixels);
        using var scope = NewDisposeScope();
        var x = embeddings.forward(pixels);
        return scope.MoveToOuter(encoder.Run(x, ResolveLayer(layer, _config.Layers)));
    }

    /// <summary>The official x_norm_clstoken: final norm of the last layer's CLS token, B x C.</summary>
    public Tensor ClsToken(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var last = HiddenState(pixels, _config.Layers);
        return scope.MoveToOuter(layernorm.forward(last[.., 0]));
    }
}

/// <summary>CLS token, optional register tokens, learned positions (CLS + native grid) and the patch convolution.</summary>
public sealed class Dinov2Embeddings : nn.Module<Tensor, Tensor>
{
    readonly Parameter cls_token;
    // Only used for masked-image training; kept so the official checkpoint loads strictly.
    readonly Parameter mask_token;
    readonly Parameter? register_tokens;
    readonly Parameter position_embeddings;
    readonly Dinov2PatchEmbeddings patch_embeddings;
    readonly Dinov2Config _config;

    public Dinov2Embeddings(Dinov2Config config, Device? device = null) : base(nameof(Dinov2Embeddings))
    {
        _config = config;
        var c = config.HiddenSize;
        cls_token = new Parameter(randn(1, 1, c, device: device) * 1e-6);
        mask_token = new Parameter(zeros(1, c, device: device));
        if (config.Registers > 0) register_tokens = new Parameter(randn(1, config.Registers, c, device: device) * 1e-6);
        position_embeddings = new Parameter(randn(1, config.NativeGrid * config.NativeGrid + 1, c, device: device) * 0.02);
        patch_embeddings = new Dinov2PatchEmbeddings(config, device);
        RegisterComponents();
    }

    /// <summary>B x 3 x H x W → B x (1 + registers + h·w) x C. Registers carry no position (as in DINOv2).</summary>
    public override Tensor forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var (gh, gw) = ((int)(pixels.shape[2] / _config.PatchSize), (int)(pixels.shape[3] / _config.PatchSize));
        var patches = patch_embeddings.forward(pixels);
        var b = patches.shape[0];
        var table = position_embeddings[0];
        var positions = cat([table[..1], PositionGrid.Resize(table[1..], gh, gw, _config.InterpolateOffset)], 0);
        var x = cat([cls_token.expand(b, -1, -1), patches], 1) + positions.unsqueeze(0);
        if (register_tokens is not null)
            x = cat([x[.., ..1], register_tokens.expand(b, -1, -1), x[.., 1..]], 1);
        return scope.MoveToOuter(x);
    }
}

/// <summary>`embeddings.patch_embeddings.projection`: a strided convolution with bias.</summary>
public sealed class Dinov2PatchEmbeddings : nn.Module<Tensor, Tensor>
{
    readonly Conv2d projection;

    public Dinov2PatchEmbeddings(Dinov2Config config, Device? device = null) : base(nameof(Dinov2PatchEmbeddings))
    {
        projection = nn.Conv2d(3, config.HiddenSize, config.PatchSize, stride: config.PatchSize, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(projection.forward(pixels.to(projection.weight!.dtype)).flatten(2).transpose(1, 2));
    }
}

/// <summary>`encoder.layer.N`.</summary>
public sealed class Dinov2Encoder : nn.Module
{
    readonly ModuleList<Dinov2Layer> layer;

    public Dinov2Encoder(Dinov2Config config, Device? device = null) : base(nameof(Dinov2Encoder))
    {
        layer = new ModuleList<Dinov2Layer>(
            Enumerable.Range(0, config.Layers).Select(_ => new Dinov2Layer(config, device)).ToArray());
        RegisterComponents();
    }

    /// <summary>Runs the first <paramref name="count"/> layers.</summary>
    public Tensor Run(Tensor x, int count)
    {
        using var scope = NewDisposeScope();
        for (var i = 0; i < count; i++) x = layer[i].forward(x);
        return scope.MoveToOuter(x.alias());
    }
}
