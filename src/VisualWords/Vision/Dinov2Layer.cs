using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Vision;

/// <summary>x + ls1·attn(norm1 x), then x + ls2·mlp(norm2 x) — HF Dinov2Layer names.</summary>
public sealed class Dinov2Layer : nn.Module<Tensor, Tensor>
{
    readonly LayerNorm norm1;
    readonly Dinov2Attention attention;
    readonly Dinov2LayerScale layer_scale1;
    readonly LayerNorm norm2;
    readonly VitMlp mlp;
    readonly Dinov2LayerScale layer_scale2;

    public Dinov2Layer(Dinov2Config config, Device? device = null) : base(nameof(Dinov2Layer))
    {
        var c = config.HiddenSize;
        norm1 = nn.LayerNorm(c, config.LayerNormEps, device: device);
        attention = new Dinov2Attention(c, config.Heads, device);
        layer_scale1 = new Dinov2LayerScale(c, device);
        norm2 = nn.LayerNorm(c, config.LayerNormEps, device: device);
        mlp = new VitMlp(c, config.IntermediateSize, x => nn.functional.gelu(x), device);
        layer_scale2 = new Dinov2LayerScale(c, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = x + layer_scale1.forward(attention.forward(norm1.forward(x)));
        x = x + layer_scale2.forward(mlp.forward(norm2.forward(x)));
        return scope.MoveToOuter(x);
    }
}

/// <summary>`attention.attention.{query,key,value}` and `attention.output.dense` (DINOv2's fused qkv split in three).</summary>
public sealed class Dinov2Attention : nn.Module<Tensor, Tensor>
{
    readonly Dinov2SelfAttention attention;
    readonly Dinov2SelfOutput output;

    public Dinov2Attention(int width, int heads, Device? device = null) : base(nameof(Dinov2Attention))
    {
        attention = new Dinov2SelfAttention(width, heads, device);
        output = new Dinov2SelfOutput(width, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(output.forward(attention.forward(x)));
    }
}

public sealed class Dinov2SelfAttention : nn.Module<Tensor, Tensor>
{
    readonly Linear query, key, value;
    readonly int _heads;

    public Dinov2SelfAttention(int width, int heads, Device? device = null) : base(nameof(Dinov2SelfAttention))
    {
        _heads = heads;
        query = nn.Linear(width, width, device: device);
        key = nn.Linear(width, width, device: device);
        value = nn.Linear(width, width, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) =>
        MultiHeadAttention.Attend(query.forward(x), key.forward(x), value.forward(x), _heads);
}

public sealed class Dinov2SelfOutput : nn.Module<Tensor, Tensor>
{
    readonly Linear dense;

    public Dinov2SelfOutput(int width, Device? device = null) : base(nameof(Dinov2SelfOutput))
    {
        dense = nn.Linear(width, width, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => dense.forward(x);
}

/// <summary>Per-channel residual scale (`lambda1`); DINOv2 initializes it to 1 for ViT-L.</summary>
public sealed class Dinov2LayerScale : nn.Module<Tensor, Tensor>
{
    readonly Parameter lambda1;

    public Dinov2LayerScale(int width, Device? device = null) : base(nameof(Dinov2LayerScale))
    {
        lambda1 = new Parameter(ones(width, device: device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => x * lambda1;
}
