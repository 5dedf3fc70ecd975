using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Sam;

/// <summary>Two linear layers with a GELU between (the ViT block's and the two-way block's MLP).</summary>
public sealed class MLPBlock : nn.Module<Tensor, Tensor>
{
    readonly Linear lin1;
    readonly Linear lin2;
    readonly nn.Module<Tensor, Tensor> act;

    /// <param name="relu">ReLU instead of GELU (the two-way transformer uses ReLU).</param>
    public MLPBlock(long embeddingDim, long mlpDim, bool relu = false) : base(nameof(MLPBlock))
    {
        lin1 = nn.Linear(embeddingDim, mlpDim);
        lin2 = nn.Linear(mlpDim, embeddingDim);
        act = relu ? nn.ReLU() : nn.GELU();
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return lin2.forward(act.forward(lin1.forward(x))).MoveToOuterDisposeScope();
    }
}
