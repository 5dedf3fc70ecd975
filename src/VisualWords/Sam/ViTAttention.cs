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
    readonly double _scale;

    /// <param name="inputH">Grid height the relative tables are sized for (window side or full grid).</param>
    public ViTAttention(int dim, int numHeads, bool qkvBias, bool useRelPos, int inputH, int inputW) : base(nameof(ViTAttention))
    {
        _numHeads = numHeads;
        int headDim = dim / numHeads;
        _scale = Math.Pow(headDim, -0.5);
        qkv = nn.Linear(dim, dim * 3, hasBias: qkvBias);
        proj = nn.Linear(dim, dim);
        if (useRelPos)
        {
            rel_pos_h = nn.Parameter(torch.zeros(2 * inputH - 1, headDim));
            rel_pos_w = nn.Parameter(torch.zeros(2 * inputW - 1, headDim));
        }
        RegisterComponents();
    }

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
        var attn = (q * _scale).matmul(k.transpose(-2, -1));
        if (rel_pos_h is not null && rel_pos_w is not null)
            attn = RelativePosition.AddDecomposed(attn, q, rel_pos_h, rel_pos_w, (h, w), (h, w));
        attn = attn.softmax(-1);
        var o = attn.matmul(v).view(b, _numHeads, h, w, -1).permute(0, 2, 3, 1, 4).reshape(b, h, w, -1);
        return proj.forward(o).MoveToOuterDisposeScope();
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

    /// <summary>Adds the height and width terms to attention logits (B x qH*qW x kH*kW).</summary>
    /// <param name="q">Unscaled queries, B x qH*qW x C.</param>
    public static Tensor AddDecomposed(Tensor attn, Tensor q, Tensor relPosH, Tensor relPosW, (long H, long W) qSize, (long H, long W) kSize)
    {
        using var scope = torch.NewDisposeScope();
        var rh = Get(qSize.H, kSize.H, relPosH);
        var rw = Get(qSize.W, kSize.W, relPosW);
        long b = q.shape[0], dim = q.shape[2];
        var rq = q.reshape(b, qSize.H, qSize.W, dim);
        var relH = torch.einsum("bhwc,hkc->bhwk", rq, rh);
        var relW = torch.einsum("bhwc,wkc->bhwk", rq, rw);
        var sum = attn.view(b, qSize.H, qSize.W, kSize.H, kSize.W) + relH.unsqueeze(-1) + relW.unsqueeze(-2);
        return sum.view(b, qSize.H * qSize.W, kSize.H * kSize.W).MoveToOuterDisposeScope();
    }
}
