using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Sam;

/// <summary>
/// Multi-head self-attention over a B x H x W x C map with MViTv2's decomposed relative positions:
/// the logit of query (i, j) for key (k, l) gets q·Rh[i-k] + q·Rw[j-l].
/// </summary>
public sealed class ViTAttention : nn.Module<Tensor, Tensor>
{
    readonly Linear qkv;
    readonly Linear proj;
    readonly Parameter? rel_pos_h;
    readonly Parameter? rel_pos_w;
    readonly int _numHeads;

    /// <param name="inputH">Grid height the relative tables are sized for (window side or full grid).</param>
    public ViTAttention(int dim, int numHeads, bool qkvBias, bool useRelPos, int inputH, int inputW) : base(nameof(ViTAttention))
    {
        _numHeads = numHeads;
        int headDim = dim / numHeads;
        qkv = nn.Linear(dim, dim * 3, hasBias: qkvBias);
        proj = nn.Linear(dim, dim);
        if (useRelPos)
        {
            rel_pos_h = nn.Parameter(torch.zeros(2 * inputH - 1, headDim));
            rel_pos_w = nn.Parameter(torch.zeros(2 * inputW - 1, headDim));
        }
        RegisterComponents();
    }

    /// <summary>Bias maps of one SDPA call stay under this many bytes (heads are grouped to fit).</summary>
    const long GroupBytes = 256L << 20;

    /// <param name="x">B x H x W x C</param>
    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], h = x.shape[1], w = x.shape[2];
        var qkvT = qkv.forward(x).reshape(b, h * w, 3, _numHeads, -1).permute(2, 0, 3, 1, 4)
            .reshape(3, b * _numHeads, h * w, -1);
        var q = qkvT[0];
        var k = qkvT[1];
        var v = qkvT[2];
        Tensor o;
        if (rel_pos_h is not null && rel_pos_w is not null)
        {
            var (relH, relW) = RelativePosition.Terms(q, rel_pos_h, rel_pos_w, (h, w), (h, w));
            o = BiasedAttention(q, k, v, relH, relW);
        }
        else
        {
            o = nn.functional.scaled_dot_product_attention(q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0)).squeeze(0);
        }
        o = o.reshape(b, _numHeads, h, w, -1).permute(0, 2, 3, 1, 4).reshape(b, h, w, -1);
        return proj.forward(o).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// softmax(q k^T / sqrt(C) + relH + relW) v through libtorch's fused attention, a group of
    /// heads at a time. The official code materialises logits, two biased copies and the softmax
    /// of all heads (for a global vit_b block four 805 MB maps, each freshly page-faulted); here
    /// only the bias map of one group exists and the fused kernel tiles the rest in cache.
    /// </summary>
    /// <param name="q">Unscaled queries BH x N x C (N = h*w); k, v alike.</param>
    /// <param name="relH">BH x h x w x kh</param>
    /// <param name="relW">BH x h x w x kw</param>
    static Tensor BiasedAttention(Tensor q, Tensor k, Tensor v, Tensor relH, Tensor relW)
    {
        long bh = q.shape[0], n = q.shape[1], kn = k.shape[1];
        long group = Math.Clamp(GroupBytes / (n * kn * sizeof(float)), 1, bh);
        var output = torch.empty(bh, n, v.shape[2], dtype: v.dtype, device: v.device);
        for (long h0 = 0; h0 < bh; h0 += group)
        {
            using var groupScope = torch.NewDisposeScope();
            long g = Math.Min(group, bh - h0);
            var bias = (relH.narrow(0, h0, g).unsqueeze(-1) + relW.narrow(0, h0, g).unsqueeze(-2)).reshape(1, g, n, kn);
            var o = nn.functional.scaled_dot_product_attention(
                q.narrow(0, h0, g).unsqueeze(0), k.narrow(0, h0, g).unsqueeze(0), v.narrow(0, h0, g).unsqueeze(0), bias);
            output.narrow(0, h0, g).copy_(o.squeeze(0));
        }
        return output;
    }
}

/// <summary>Decomposed relative-position terms (MViTv2), as SAM's encoder uses them.</summary>
public static class RelativePosition
{
    /// <summary>
    /// Table of embeddings for every (query, key) offset along one axis: q_size x k_size x C.
    /// The learned table is linearly resized when its length does not fit (another input size).
    /// </summary>
    public static Tensor Get(long qSize, long kSize, Tensor relPos)
    {
        using var scope = torch.NewDisposeScope();
        long maxRelDist = 2 * Math.Max(qSize, kSize) - 1;
        var table = relPos;
        if (relPos.shape[0] != maxRelDist)
        {
            table = nn.functional.interpolate(relPos.reshape(1, relPos.shape[0], -1).permute(0, 2, 1),
                    size: [maxRelDist], mode: InterpolationMode.Linear, align_corners: false)
                .reshape(-1, maxRelDist).permute(1, 0);
        }
        // Same float arithmetic as the official code so fractional offsets truncate alike.
        double qScale = Math.Max((double)kSize / qSize, 1.0), kScale = Math.Max((double)qSize / kSize, 1.0);
        var qCoords = torch.arange(qSize, dtype: ScalarType.Float32).unsqueeze(1) * qScale;
        var kCoords = torch.arange(kSize, dtype: ScalarType.Float32).unsqueeze(0) * kScale;
        var rel = (qCoords - kCoords + (kSize - 1) * kScale).to(ScalarType.Int64);
        return table.index_select(0, rel.flatten()).view(qSize, kSize, -1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The height and width terms for every query: relH[b, qh, qw, kh] = q · Rh[qh - kh] and
    /// relW[b, qh, qw, kw] = q · Rw[qw - kw]; the logit of key (kh, kw) gets relH + relW.
    /// </summary>
    /// <param name="q">Unscaled queries, B x qH*qW x C.</param>
    public static (Tensor RelH, Tensor RelW) Terms(Tensor q, Tensor relPosH, Tensor relPosW, (long H, long W) qSize, (long H, long W) kSize)
    {
        using var scope = torch.NewDisposeScope();
        var rh = Get(qSize.H, kSize.H, relPosH);
        var rw = Get(qSize.W, kSize.W, relPosW);
        long b = q.shape[0], dim = q.shape[2];
        var rq = q.reshape(b, qSize.H, qSize.W, dim);
        var relH = torch.einsum("bhwc,hkc->bhwk", rq, rh);
        var relW = torch.einsum("bhwc,wkc->bhwk", rq, rw);
        // Contiguous, so that their broadcast sum (the bias map) comes out contiguous too.
        return (relH.contiguous().MoveToOuterDisposeScope(), relW.contiguous().MoveToOuterDisposeScope());
    }
}
