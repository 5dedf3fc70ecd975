using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Vision;

/// <summary>x + attn(ln1 x), then x + mlp(ln2 x) — HF CLIPEncoderLayer names.</summary>
public sealed class ClipEncoderLayer : nn.Module<Tensor, Tensor>
{
    readonly ClipAttention self_attn;
    readonly LayerNorm layer_norm1;
    readonly VitMlp mlp;
    readonly LayerNorm layer_norm2;

    public ClipEncoderLayer(ClipVisionConfig config, Device? device = null) : base(nameof(ClipEncoderLayer))
    {
        self_attn = new ClipAttention(config.HiddenSize, config.Heads, device);
        layer_norm1 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device);
        mlp = new VitMlp(config.HiddenSize, config.IntermediateSize, Activations.QuickGelu, device);
        layer_norm2 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = x + self_attn.forward(layer_norm1.forward(x));
        x = x + mlp.forward(layer_norm2.forward(x));
        return scope.MoveToOuter(x);
    }
}

/// <summary>Separate q/k/v/out projections with biases (openai/CLIP's fused in_proj split in three).</summary>
public sealed class ClipAttention : nn.Module<Tensor, Tensor>
{
    readonly Linear k_proj, v_proj, q_proj, out_proj;
    readonly int _heads;

    public ClipAttention(int width, int heads, Device? device = null) : base(nameof(ClipAttention))
    {
        _heads = heads;
        k_proj = nn.Linear(width, width, device: device);
        v_proj = nn.Linear(width, width, device: device);
        q_proj = nn.Linear(width, width, device: device);
        out_proj = nn.Linear(width, width, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var o = MultiHeadAttention.Attend(q_proj.forward(x), k_proj.forward(x), v_proj.forward(x), _heads);
        return scope.MoveToOuter(out_proj.forward(o));
    }
}
