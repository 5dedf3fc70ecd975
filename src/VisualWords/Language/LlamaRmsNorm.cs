using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Language;

/// <summary>Root-mean-square layer norm: <c>w · x / sqrt(mean(x²) + eps)</c>, statistics in fp32 as HF does.</summary>
public sealed class LlamaRmsNorm : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    public Parameter weight;
#pragma warning restore IDE1006
    readonly double _eps;

    public LlamaRmsNorm(long dim, double eps, Device? device = null, ScalarType dtype = ScalarType.Float32) : base("LlamaRmsNorm")
    {
        weight = new Parameter(ones(dim, dtype: dtype, device: device));
        _eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x.to_type(ScalarType.Float32);
        var normed = h * rsqrt(h.pow(2).mean([-1L], keepdim: true) + _eps);
        return scope.MoveToOuter(weight * normed.to_type(x.dtype));
    }
}
