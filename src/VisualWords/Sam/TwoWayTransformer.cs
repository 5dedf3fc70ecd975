using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Sam;

/// <summary>
/// The mask decoder's transformer: prompt tokens and image tokens update each other
/// (token self-attention, token-to-image, MLP, image-to-token), then a final token-to-image attention.
/// </summary>
public sealed class TwoWayTransformer : nn.Module
{
    readonly ModuleList<TwoWayAttentionBlock> layers;
    readonly DecoderAttention final_attn_token_to_image;
    readonly LayerNorm norm_final_attn;

    public TwoWayTransformer(int depth, int embeddingDim, int numHeads, int mlpDim, int attentionDownsampleRate = 2)
        : base(nameof(TwoWayTransformer))
    {
        layers = nn.ModuleList(Enumerable.Range(0, depth).Select(i =>
            new TwoWayAttentionBlock(embeddingDim, numHeads, mlpDim, attentionDownsampleRate, skipFirstLayerPe: i == 0)).ToArray());
        final_attn_token_to_image = new DecoderAttention(embeddingDim, numHeads, attentionDownsampleRate);
        norm_final_attn = nn.LayerNorm(embeddingDim);
        RegisterComponents();
    }

    /// <param name="imageEmbedding">B x C x h x w</param>
    /// <param name="imagePe">B x C x h x w, or 1 x C x h x w broadcast over the batch</param>
    /// <param name="pointEmbedding">B x N x C (output tokens then prompt tokens)</param>
    /// <returns>Tokens B x N x C and image tokens B x hw x C.</returns>
    public (Tensor Queries, Tensor Keys) forward(Tensor imageEmbedding, Tensor imagePe, Tensor pointEmbedding)
    {
        using var scope = torch.NewDisposeScope();
        var keys = imageEmbedding.flatten(2).permute(0, 2, 1);
        var keyPe = imagePe.flatten(2).permute(0, 2, 1);
        var queries = pointEmbedding;
        foreach (var layer in layers)
            (queries, keys) = layer.forward(queries, keys, pointEmbedding, keyPe);
        var attnOut = final_attn_token_to_image.forward(queries + pointEmbedding, keys + keyPe, keys);
        queries = norm_final_attn.forward(queries + attnOut);
        return (queries.MoveToOuterDisposeScope(), keys.MoveToOuterDisposeScope());
    }
}

/// <summary>Self-attention of tokens, cross-attention both ways and an MLP on the tokens.</summary>
public sealed class TwoWayAttentionBlock : nn.Module
{
    readonly DecoderAttention self_attn;
    readonly LayerNorm norm1;
    readonly DecoderAttention cross_attn_token_to_image;
    readonly LayerNorm norm2;
    readonly MLPBlock mlp;
    readonly LayerNorm norm3;
    readonly LayerNorm norm4;
    readonly DecoderAttention cross_attn_image_to_token;
    readonly bool _skipFirstLayerPe;

    public TwoWayAttentionBlock(int embeddingDim, int numHeads, int mlpDim, int attentionDownsampleRate, bool skipFirstLayerPe)
        : base(nameof(TwoWayAttentionBlock))
    {
        self_attn = new DecoderAttention(embeddingDim, numHeads);
        norm1 = nn.LayerNorm(embeddingDim);
        cross_attn_token_to_image = new DecoderAttention(embeddingDim, numHeads, attentionDownsampleRate);
        norm2 = nn.LayerNorm(embeddingDim);
        mlp = new MLPBlock(embeddingDim, mlpDim, relu: true);
        norm3 = nn.LayerNorm(embeddingDim);
        norm4 = nn.LayerNorm(embeddingDim);
        cross_attn_image_to_token = new DecoderAttention(embeddingDim, numHeads, attentionDownsampleRate);
        _skipFirstLayerPe = skipFirstLayerPe;
        RegisterComponents();
    }

    public (Tensor Queries, Tensor Keys) forward(Tensor queries, Tensor keys, Tensor queryPe, Tensor keyPe)
    {
        using var scope = torch.NewDisposeScope();
        if (_skipFirstLayerPe)
        {
            // The first block replaces the tokens (no residual): the tokens already carry their PE.
            queries = self_attn.forward(queries, queries, queries);
        }
        else
        {
            var q0 = queries + queryPe;
            queries = queries + self_attn.forward(q0, q0, queries);
        }
        queries = norm1.forward(queries);

        var k = keys + keyPe;
        queries = norm2.forward(queries + cross_attn_token_to_image.forward(queries + queryPe, k, keys));
        queries = norm3.forward(queries + mlp.forward(queries));

        var q = queries + queryPe;
        keys = norm4.forward(keys + cross_attn_image_to_token.forward(k, q, queries));
        return (queries.MoveToOuterDisposeScope(), keys.MoveToOuterDisposeScope());
    }
}

/// <summary>Multi-head attention whose q/k/v projections may shrink the width by a downsample rate.</summary>
public sealed class DecoderAttention : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    readonly Linear q_proj;
    readonly Linear k_proj;
    readonly Linear v_proj;
    readonly Linear out_proj;
    readonly int _numHeads;

    public DecoderAttention(int embeddingDim, int numHeads, int downsampleRate = 1) : base(nameof(DecoderAttention))
    {
        int internalDim = embeddingDim / downsampleRate;
        if (internalDim % numHeads != 0) throw new ArgumentException("num_heads must divide the internal width");
        _numHeads = numHeads;
        q_proj = nn.Linear(embeddingDim, internalDim);
        k_proj = nn.Linear(embeddingDim, internalDim);
        v_proj = nn.Linear(embeddingDim, internalDim);
        out_proj = nn.Linear(internalDim, embeddingDim);
        RegisterComponents();
    }

    Tensor SeparateHeads(Tensor x) => x.reshape(x.shape[0], x.shape[1], _numHeads, -1).transpose(1, 2);

    /// <param name="q">B x Nq x C</param>
    /// <param name="k">B x Nk x C</param>
    /// <param name="v">B x Nk x C</param>
    public override Tensor forward(Tensor q, Tensor k, Tensor v)
    {
        using var scope = torch.NewDisposeScope();
        var qh = SeparateHeads(q_proj.forward(q));
        var kh = SeparateHeads(k_proj.forward(k));
        var vh = SeparateHeads(v_proj.forward(v));
        long cPerHead = qh.shape[3];
        var attn = (qh.matmul(kh.permute(0, 1, 3, 2)) / Math.Sqrt(cPerHead)).softmax(-1);
        var o = attn.matmul(vh).transpose(1, 2);
        o = o.reshape(o.shape[0], o.shape[1], -1);
        return out_proj.forward(o).MoveToOuterDisposeScope();
    }
}
