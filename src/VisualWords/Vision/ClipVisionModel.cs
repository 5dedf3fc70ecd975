using TorchSharp;
using TorchSharp.Modules;
using VisualWords.Checkpoints;
using static TorchSharp.torch;

namespace VisualWords.Vision;

/// <summary>
/// CLIP ViT image encoder with Hugging Face CLIPVisionModel parameter names
/// (vision_model.embeddings.*, vision_model.pre_layrnorm, vision_model.encoder.layers.N.*,
/// vision_model.post_layernorm), so an HF checkpoint loads by name.
/// forward: B x 3 x H x W normalized pixels → B x (H/p·W/p) x C from <see cref="VisionTowerConfig.FeatureLayer"/>.
/// </summary>
public sealed class ClipVisionModel : VisionTower
{
    readonly ClipVisionTransformer vision_model;
    readonly int _featureIndex;

    public ClipVisionModel(ClipVisionConfig config, Device? device = null) : base(nameof(ClipVisionModel), config)
    {
        vision_model = new ClipVisionTransformer(config, device);
        _featureIndex = ResolveLayer(config.FeatureLayer, config.Layers);
        RegisterComponents();
    }

    public override Tensor forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var hidden = HiddenState(pixels, _featureIndex);
        return scope.MoveToOuter(hidden[.., 1..].contiguous());
    }

    /// <summary>
    /// Loads an HF CLIPVisionModel or full CLIPModel checkpoint: text-tower keys are skipped, and the
    /// position_ids buffer older HF versions saved (an arange, not a weight) is ignored.
    /// </summary>
    public LoadReport Load(StateDict sd)
    {
        const string positionIds = "vision_model.embeddings.position_ids";
        if (sd.ContainsKey(positionIds)) sd.Remove(positionIds).Dispose();
        return StateDictLoader.LoadInto(this, sd, new LoadOptions { OnlyPrefixes = ["vision_model."] });
    }

    /// <summary>HF hidden_states[layer]: B x (1 + h·w) x C, CLS first; only the needed layers run.</summary>
    public Tensor HiddenState(Tensor pixels, int layer)
    {
        CheckPixels(pixels);
        return vision_model.HiddenState(pixels, ResolveLayer(layer, Config.Layers));
    }

    /// <summary>HF pooler_output: post_layernorm of the last layer's CLS token, B x C.</summary>
    public Tensor Pooled(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var last = HiddenState(pixels, Config.Layers);
        return scope.MoveToOuter(vision_model.post_layernorm.forward(last[.., 0]));
    }
}

/// <summary>The `vision_model` submodule of CLIPVisionModel.</summary>
public sealed class ClipVisionTransformer : nn.Module
{
    readonly ClipVisionEmbeddings embeddings;
    readonly LayerNorm pre_layrnorm;   // sic: the HF key has this spelling
    readonly ClipEncoder encoder;
    internal readonly LayerNorm post_layernorm;

    public ClipVisionTransformer(ClipVisionConfig config, Device? device = null) : base(nameof(ClipVisionTransformer))
    {
        embeddings = new ClipVisionEmbeddings(config, device);
        pre_layrnorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device);
        encoder = new ClipEncoder(config, device);
        post_layernorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device);
        RegisterComponents();
    }

    public Tensor HiddenState(Tensor pixels, int layer)
    {
        using var scope = NewDisposeScope();
        var x = pre_layrnorm.forward(embeddings.forward(pixels));
        return scope.MoveToOuter(encoder.Run(x, layer));
    }
}

/// <summary>Patch convolution (no bias), a learned CLS vector and learned absolute positions.</summary>
public sealed class ClipVisionEmbeddings : nn.Module<Tensor, Tensor>
{
    readonly Parameter class_embedding;
    readonly Conv2d patch_embedding;
    readonly Embedding position_embedding;
    readonly int _patch;

    public ClipVisionEmbeddings(ClipVisionConfig config, Device? device = null) : base(nameof(ClipVisionEmbeddings))
    {
        _patch = config.PatchSize;
        class_embedding = new Parameter(randn(config.HiddenSize, device: device) * Math.Pow(config.HiddenSize, -0.5));
        patch_embedding = nn.Conv2d(3, config.HiddenSize, config.PatchSize, stride: config.PatchSize, bias: false, device: device);
        position_embedding = nn.Embedding(config.NativeGrid * config.NativeGrid + 1, config.HiddenSize, device: device);
        RegisterComponents();
    }

    /// <summary>B x 3 x H x W → B x (1 + h·w) x C; positions bicubically resized when h x w differs from the native grid.</summary>
    public override Tensor forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var (gh, gw) = ((int)(pixels.shape[2] / _patch), (int)(pixels.shape[3] / _patch));
        var patches = patch_embedding.forward(pixels.to(patch_embedding.weight!.dtype)).flatten(2).transpose(1, 2);
        var b = patches.shape[0];
        var cls = class_embedding.view(1, 1, -1).expand(b, 1, -1);
        var table = position_embedding.weight!;
        var positions = cat([table[..1], PositionGrid.Resize(table[1..], gh, gw)], 0);
        return scope.MoveToOuter(cat([cls, patches], 1) + positions.unsqueeze(0));
    }
}

/// <summary>`encoder.layers.N` — a pre-norm transformer stack.</summary>
public sealed class ClipEncoder : nn.Module
{
    readonly ModuleList<ClipEncoderLayer> layers;

    public ClipEncoder(ClipVisionConfig config, Device? device = null) : base(nameof(ClipEncoder))
    {
        layers = new ModuleList<ClipEncoderLayer>(
            Enumerable.Range(0, config.Layers).Select(_ => new ClipEncoderLayer(config, device)).ToArray());
        RegisterComponents();
    }

    /// <summary>Runs the first <paramref name="count"/> layers.</summary>
    public Tensor Run(Tensor x, int count)
    {
        using var scope = NewDisposeScope();
        for (var i = 0; i < count; i++) x = layers[i].forward(x);
        return scope.MoveToOuter(x.alias());
    }
}
