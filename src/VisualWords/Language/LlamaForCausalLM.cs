using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Language;

/// <summary>
/// LLaMA with its language-model head (HF <c>LlamaForCausalLM</c>: <c>model.*</c> + <c>lm_head.weight</c>).
/// Takes token ids or ready-made input embeddings (visual tokens are spliced in as embeddings),
/// real-token masks for padded batches, segment ids for packed rows, and an optional KV cache.
/// </summary>
public sealed class LlamaForCausalLM : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // checkpoint key names
    public LlamaModel model;
    public LoraLinear lm_head;
#pragma warning restore IDE1006

    public LlamaConfig Config { get; private set; }

    /// <param name="config">Shapes; validated.</param>
    /// <param name="device">Where parameters live; the meta device builds shapes without memory.</param>
    /// <param name="dtype">Parameter dtype (float32 or bfloat16).</param>
    /// <param name="initialize">False skips random init (weights will be loaded anyway).</param>
    public LlamaForCausalLM(LlamaConfig config, Device? device = null, ScalarType dtype = ScalarType.Float32, bool initialize = true)
        : base("LlamaForCausalLM")
    {
        Config = config.Validate();
        model = new LlamaModel(config, device, dtype, initialize);
        lm_head = new LoraLinear(config.HiddenSize, config.VocabSize, device, dtype, initialize);
        if (config.TieWordEmbeddings) lm_head.weight = model.embed_tokens.weight;
        RegisterComponents();
    }

    public ScalarType DType => lm_head.weight.dtype;
    public Device Device => lm_head.weight.device;

    /// <summary>Token ids <c>B x T</c> → input embeddings <c>B x T x C</c>.</summary>
    public Tensor Embed(Tensor ids) => model.embed_tokens.forward(ids);

    /// <summary>Final hidden states → vocabulary logits <c>B x T x V</c>.</summary>
    public Tensor Logits(Tensor hidden) => lm_head.forward(hidden);

    /// <summary>Logits for a <c>B x T</c> batch of ids without padding.</summary>
    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(Logits(Hidden(Embed(ids))));
    }

    /// <summary>
    /// Final-norm hidden states <c>B x T x C</c> for <paramref name="embeds"/> (<c>B x T x C</c>).
    /// <paramref name="realTokens"/> (<c>B x T</c> bool, default all true) marks padding;
    /// <paramref name="segmentIds"/> (<c>B x T</c> int64) packs several sequences per row (no cache then);
    /// with <paramref name="cache"/>, the tokens continue the cached ones and are appended to it.
    /// </summary>
    public Tensor Hidden(Tensor embeds, Tensor? realTokens = null, KvCache? cache = null, Tensor? segmentIds = null)
    {
        using var scope = NewDisposeScope();
        long b = embeds.shape[0], t = embeds.shape[1];
        var device = embeds.device;
        var real = realTokens?.to_type(ScalarType.Bool) ?? ones(b, t, dtype: ScalarType.Bool, device: device);
        if (real.shape[0] != b || real.shape[1] != t)
            throw new BadInputException($"real-token mask is {string.Join("x", real.shape)} but the input is {b}x{t}");
        long past = cache?.Length ?? 0;
        if (segmentIds is not null && past > 0)
            throw new BadInputException("packed segment ids cannot continue a KV cache");
        if (past > 0 && cache!.KeyMask!.shape[0] != b)
            throw new BadInputException($"the KV cache holds {cache.KeyMask.shape[0]} rows but the input has {b}");

        Tensor positions;
        Tensor keyReal;
        if (segmentIds is not null)
        {
            positions = AttentionMasks.PackedPositionIds(segmentIds.where(real, full_like(segmentIds, -1)));
            keyReal = real;
        }
        else if (past > 0)
        {
            var pastCount = cache!.KeyMask!.to_type(ScalarType.Int64).sum(1, keepdim: true);
            positions = pastCount + AttentionMasks.PositionIds(real);
            keyReal = cat([cache.KeyMask, real], 1);
        }
        else
        {
            positions = AttentionMasks.PositionIds(real);
            keyReal = real;
        }

        // The fused causal kernel needs no mask when nothing is padded or packed; a single new
        // token after an unpadded cache may attend to every key.
        bool allReal = keyReal.all().item<bool>();
        Tensor? mask = null;
        if (segmentIds is not null || !allReal || (past > 0 && t > 1))
            mask = AttentionMasks.Causal(keyReal, t, segmentIds);

        var hidden = model.forward(embeds, positions, mask, cache);
        cache?.AppendMask(real);
        return scope.MoveToOuter(hidden);
    }

    /// <summary>
    /// Grows the vocabulary to <paramref name="newVocabSize"/> (added tokens such as [SEG]):
    /// new embedding and lm_head rows start at the mean of the existing rows, as LLaVA does,
    /// so the new tokens begin as an "average" token instead of noise.
    /// </summary>
    public void ResizeTokenEmbeddings(int newVocabSize)
    {
        int old = Config.VocabSize;
        if (newVocabSize < old) throw new BadInputException($"cannot shrink the vocabulary from {old} to {newVocabSize}");
        if (newVocabSize == old) return;
        using var _ = no_grad();
        Parameter Grow(Tensor w)
        {
            var mean = w.mean([0L], keepdim: true).expand(newVocabSize - old, w.shape[1]);
            return new Parameter(cat([w, mean], 0).contiguous(), w.requires_grad);
        }
        var emb = Grow(model.embed_tokens.weight);
        model.embed_tokens.weight = emb;
        lm_head.weight = Config.TieWordEmbeddings ? emb : Grow(lm_head.weight);
        Config = Config with { VocabSize = newVocabSize };
    }
}
