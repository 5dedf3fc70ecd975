using static TorchSharp.torch;

namespace VisualWords.Vision;

/// <summary>
/// The head split / scaled-dot-product / merge shared by every attention here (CLIP, DINOv2, the
/// resampler, the superpixel aggregator). The modules own their projections — their parameter
/// names differ per checkpoint family — and call this for the arithmetic only.
/// </summary>
public static class MultiHeadAttention
{
    /// <summary>
    /// q: B x Nq x D, k/v: B x Nk x D (already projected). mask: optional bool, broadcastable to
    /// B x 1 x Nq x Nk, true = may attend; every query row must allow at least one key.
    /// Returns B x Nq x D.
    /// </summary>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, int heads, Tensor? mask = null)
    {
        using var scope = NewDisposeScope();
        var (b, nq, d) = (q.shape[0], q.shape[1], q.shape[2]);
        if (d % heads != 0) throw new ArgumentException($"width {d} is not divisible by {heads} heads");
        var qh = SplitHeads(q, heads);
        var kh = SplitHeads(k, heads);
        var vh = SplitHeads(v, heads);
        var o = nn.functional.scaled_dot_product_attention(qh, kh, vh, attn_mask: mask);
        return scope.MoveToOuter(o.transpose(1, 2).reshape(b, nq, d));
    }

    /// <summary>B x N x D → B x heads x N x D/heads.</summary>
    static Tensor SplitHeads(Tensor x, int heads) =>
        x.view(x.shape[0], x.shape[1], heads, x.shape[2] / heads).transpose(1, 2);
}
