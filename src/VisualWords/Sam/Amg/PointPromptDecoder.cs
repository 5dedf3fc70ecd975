using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Sam.Amg;

/// <summary>
/// SAM's prompt encoder + mask decoder specialised for everything mode: many single-point prompts
/// on one image embedding, without mask input. Equal in result to <see cref="SamPredictor.PredictLowRes"/>
/// (multimask), but it does once per image what the generic decoder repeats per prompt:
/// <list type="bullet">
/// <item>the dense prompt (the no-mask embedding) and the positional encoding are the same for every
///   prompt, so the generic path's per-prompt copies of image embedding + dense and of the PE
///   (repeat_interleave: B × C × h × w each) are never made;</item>
/// <item>in the first two-way block the image tokens have not yet seen any prompt, so the key and value
///   projections of token→image attention and the query projection of image→token attention (three
///   hw × C → C/2 matmuls) are computed once and shared by all prompts; attention runs as one batched
///   matmul per head group against the shared projections.</item>
/// </list>
/// From the first block's image→token update on, image tokens depend on the prompt and the remaining
/// work is per prompt (second block, final attention, upscaling). The weights are the model's own
/// modules, found by their checkpoint names.
/// </summary>
public sealed class PointPromptDecoder : IDisposable
{
    readonly SamModel _model;
    readonly int _heads;
    readonly Tensor _keys0;      // 1 × hw × C: image embedding + dense prompt, as tokens
    readonly Tensor _keyPe;      // 1 × hw × C
    readonly Tensor _kT2I;       // heads × hw × d   (block 0, token→image keys)
    readonly Tensor _vT2I;       // heads × hw × d   (block 0, token→image values)
    readonly Tensor _qI2T;       // heads × hw × d   (block 0, image→token queries)
    readonly long _h, _w;

    public PointPromptDecoder(SamModel model, Tensor imageEmbedding)
    {
        _model = model;
        var block0 = Block(0);
        _heads = model.Config.DecoderHeads;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var noMask = Child<Embedding>(model.PromptEncoder, "no_mask_embed").weight!;
        _h = imageEmbedding.shape[2];
        _w = imageEmbedding.shape[3];
        var src = imageEmbedding + noMask.reshape(1, -1, 1, 1);
        _keys0 = src.flatten(2).permute(0, 2, 1).contiguous();
        _keyPe = model.PromptEncoder.GetDensePe().flatten(2).permute(0, 2, 1).contiguous();
        var k = _keys0 + _keyPe;
        var t2i = Child<DecoderAttention>(block0, "cross_attn_token_to_image");
        var i2t = Child<DecoderAttention>(block0, "cross_attn_image_to_token");
        _kT2I = SplitHeads(Proj(t2i, "k_proj").forward(k));
        _vT2I = SplitHeads(Proj(t2i, "v_proj").forward(_keys0));
        _qI2T = SplitHeads(Proj(i2t, "q_proj").forward(k));
        scope.MoveToOuter(_keys0, _keyPe, _kT2I, _vT2I, _qI2T);
    }

    /// <summary>
    /// Low-res multimask logits B × 3 × 4h × 4w and IoU predictions B × 3 for single foreground points
    /// (B × 2, x y in the resized input frame).
    /// </summary>
    public (Tensor LowRes, Tensor Iou) Decode(Tensor points)
    {
        using var attended = Attend(points);
        return (Masks(attended.Queries, attended.Keys), attended.Iou.clone());
    }

    /// <summary>
    /// The prompts after the two-way transformer: output tokens (B × T × C), image tokens (B × hw × C)
    /// and the IoU predictions (B × 3). The IoU head reads only the tokens, so a caller can drop prompts
    /// whose predictions fail a filter before paying for their masks (<see cref="Masks"/>).
    /// </summary>
    public AttendedPrompts Attend(Tensor points)
    {
        using var scope = NewDisposeScope();
        long b = points.shape[0];
        var labels = ones([b, 1], ScalarType.Int64);
        var (sparse, _) = _model.PromptEncoder.forward((points.unsqueeze(1), labels), null, null, null);
        var decoder = _model.MaskDecoder;
        var outputTokens = cat([Child<Embedding>(decoder, "iou_token").weight!, Child<Embedding>(decoder, "mask_tokens").weight!], 0);
        var tokens = cat([outputTokens.unsqueeze(0).expand(b, -1, -1), sparse], 1);   // B × T × C

        // Each stage frees its temporaries (B × hw × C each) before the next: peak memory is a few
        // image-sized tensors per prompt of the batch, not every intermediate of the decoder at once.
        var (queries, keys) = FirstBlock(tokens);
        var transformer = Child<TwoWayTransformer>(decoder, "transformer");
        var layers = Child<ModuleList<TwoWayAttentionBlock>>(transformer, "layers");
        for (int i = 1; i < layers.Count; i++)
        {
            var (q, k) = layers[i].forward(queries, keys, tokens, _keyPe);
            queries.Dispose(); keys.Dispose();
            (queries, keys) = (q, k);
        }
        Tensor hs;
        using (var final = NewDisposeScope())
        {
            var attn = Child<DecoderAttention>(transformer, "final_attn_token_to_image").forward(queries + tokens, keys + _keyPe, keys);
            hs = Child<LayerNorm>(transformer, "norm_final_attn").forward(queries + attn).MoveToOuterDisposeScope();
        }
        int numMasks = decoder.NumMaskTokens;
        var iou = Child<SamMLP>(decoder, "iou_prediction_head").forward(hs.select(1, 0)).slice(1, 1, numMasks, 1);
        return new AttendedPrompts(hs.MoveToOuterDisposeScope(), keys.MoveToOuterDisposeScope(), iou.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Low-res multimask logits (B × 3 × 4h × 4w) from the output of <see cref="Attend"/> (any subset of
    /// its prompts, selected along dim 0 of both tensors): the upscaling convolutions and the hypernetworks.
    /// </summary>
    public Tensor Masks(Tensor queries, Tensor keys)
    {
        using var scope = NewDisposeScope();
        var decoder = _model.MaskDecoder;
        long b = keys.shape[0], c = keys.shape[2];
        int numMasks = decoder.NumMaskTokens;
        var upscaled = Child<Sequential>(decoder, "output_upscaling").forward(keys.transpose(1, 2).reshape(b, c, _h, _w));
        var mlps = Child<ModuleList<SamMLP>>(decoder, "output_hypernetworks_mlps");
        // Multimask output drops mask token 0, so its hypernetwork is not run.
        var hyperIn = stack(Enumerable.Range(1, numMasks - 1).Select(i => mlps[i].forward(queries.select(1, 1 + i))).ToArray(), 1);
        long uc = upscaled.shape[1], uh = upscaled.shape[2], uw = upscaled.shape[3];
        return hyperIn.matmul(upscaled.view(b, uc, uh * uw)).view(b, -1, uh, uw).MoveToOuterDisposeScope();
    }

    /// <summary>Block 0 of the two-way transformer with the shared image-side projections.</summary>
    (Tensor Queries, Tensor Keys) FirstBlock(Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var block = Block(0);
        long b = tokens.shape[0], t = tokens.shape[1];
        // Block 0 skips the PE in self-attention and replaces the tokens (no residual).
        var queries = Child<DecoderAttention>(block, "self_attn").forward(tokens, tokens, tokens);
        queries = Child<LayerNorm>(block, "norm1").forward(queries);

        // Token→image: every prompt's queries against the shared keys/values, one bmm per head.
        var t2i = Child<DecoderAttention>(block, "cross_attn_token_to_image");
        var q = Proj(t2i, "q_proj").forward(queries + tokens);                          // B × T × D
        long d = q.shape[2] / _heads;
        var qh = q.view(b * t, _heads, d).transpose(0, 1);                              // heads × BT × d
        var scores = qh.bmm(_kT2I.transpose(1, 2)) / Math.Sqrt(d);                      // heads × BT × hw
        var o = scores.softmax(-1).bmm(_vT2I);                                          // heads × BT × d
        o = o.transpose(0, 1).reshape(b, t, _heads * d);
        queries = Child<LayerNorm>(block, "norm2").forward(queries + Proj(t2i, "out_proj").forward(o));
        queries = Child<LayerNorm>(block, "norm3").forward(queries + Child<MLPBlock>(block, "mlp").forward(queries));

        // Image→token: the shared image queries against each prompt's tokens.
        var i2t = Child<DecoderAttention>(block, "cross_attn_image_to_token");
        var qt = queries + tokens;
        var vh = Proj(i2t, "v_proj").forward(queries).view(b, t, _heads, d).permute(0, 2, 1, 3).reshape(b * _heads, t, d);
        long hw = _qI2T.shape[1];
        // scores[h, n, b, t] = q_img[h, n] · k[b, h, t]: one matmul over all prompts per head.
        var s2 = _qI2T.matmul(Proj(i2t, "k_proj").forward(qt).view(b, t, _heads, d).permute(2, 3, 0, 1).reshape(_heads, d, b * t));
        var attn = (s2 / Math.Sqrt(d)).view(_heads, hw, b, t).softmax(-1).permute(2, 0, 1, 3).reshape(b * _heads, hw, t);
        var oImg = attn.bmm(vh).view(b, _heads, hw, d).permute(0, 2, 1, 3).reshape(b, hw, _heads * d);
        var keys = Child<LayerNorm>(block, "norm4").forward(_keys0 + Proj(i2t, "out_proj").forward(oImg));
        return (queries.MoveToOuterDisposeScope(), keys.MoveToOuterDisposeScope());
    }

    TwoWayAttentionBlock Block(int i)
    {
        var transformer = Child<TwoWayTransformer>(_model.MaskDecoder, "transformer");
        return Child<ModuleList<TwoWayAttentionBlock>>(transformer, "layers")[i];
    }

    Tensor SplitHeads(Tensor x) => x.view(x.shape[1], _heads, -1).transpose(0, 1).contiguous();   // 1 × hw × D → heads × hw × d

    static Linear Proj(DecoderAttention attention, string name) => Child<Linear>(attention, name);

    static T Child<T>(nn.Module parent, string name) where T : class =>
        parent.named_children().FirstOrDefault(c => c.name == name).module as T
        ?? throw new InvalidOperationException($"SAM module {parent.GetName()} has no child '{name}' of type {typeof(T).Name}");

    public void Dispose()
    {
        _keys0.Dispose(); _keyPe.Dispose(); _kT2I.Dispose(); _vT2I.Dispose(); _qI2T.Dispose();
    }
}

/// <summary>
/// Prompts after the decoder's two-way transformer (<see cref="PointPromptDecoder.Attend"/>): output
/// tokens B × T × C, image tokens B × hw × C, IoU predictions B × 3.
/// </summary>
public sealed record AttendedPrompts(Tensor Queries, Tensor Keys, Tensor Iou) : IDisposable
{
    public void Dispose()
    {
        Queries.Dispose(); Keys.Dispose(); Iou.Dispose();
    }
}
