using TorchSharp;
using TorchSharp.Modules;
using VisualWords.Vision;
using static TorchSharp.torch;

namespace VisualWords.Projectors;

/// <summary>
/// Queries attend to a separate key/value set (the patch features). Inputs are already normalized
/// by the caller. mask: optional bool B x Nq x Nk, true = may attend.
/// </summary>
public sealed class CrossAttention : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    readonly Linear q_proj, k_proj, v_proj, out_proj;
    readonly int _heads;

    public CrossAttention(int width, int heads) : base(nameof(CrossAttention))
    {
        if (heads < 1 || width % heads != 0)
            throw new BadInputException($"attention width {width} is not divisible by {heads} heads");
        _heads = heads;
        q_proj = nn.Linear(width, width);
        k_proj = nn.Linear(width, width);
        v_proj = nn.Linear(width, width);
        out_proj = nn.Linear(width, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor queries, Tensor keysValues, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var o = MultiHeadAttention.Attend(
            q_proj.forward(queries), k_proj.forward(keysValues), v_proj.forward(keysValues), _heads, mask?.unsqueeze(1));
        return scope.MoveToOuter(out_proj.forward(o));
    }
}

/// <summary>Linear(C, rC) → GELU → Linear(rC, C), the feed-forward of the projector layers.</summary>
public static class FeedForward
{
    public static Sequential Create(int width, int ratio) => nn.Sequential(
        ("fc1", nn.Linear(width, width * ratio)),
        ("act", nn.GELU()),
        ("fc2", nn.Linear(width * ratio, width)));
}
