using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace VisualWords.Language;

// The LLaMA decoder top to bottom in data-flow order: token embedding, attention (RoPE + GQA),
// SwiGLU MLP, decoder layer, the stack, and the causal-LM head. Registered names equal Hugging
// Face LlamaForCausalLM keys (model.layers.N.self_attn.q_proj.weight, …) so checkpoints load by name.
#pragma warning disable IDE1006 // field names are checkpoint keys

/// <summary>Token id → vector lookup (<c>weight</c>: vocab x hidden), a plain parameter so it can be resized and built on the meta device.</summary>
public sealed class TokenEmbedding : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "weight")] Parameter _weight;

    /// <summary>vocab x hidden; assigning re-registers it (vocabulary resize).</summary>
    public Parameter weight { get => _weight; set { _weight = value; ConditionallyRegisterParameter("weight", value); } }

    public TokenEmbedding(long vocab, long dim, Device? device, ScalarType dtype, bool initialize) : base("TokenEmbedding")
    {
        var w = empty(vocab, dim, dtype: dtype, device: device);
        if (initialize && w.device_type != DeviceType.META)
            using (no_grad()) nn.init.normal_(w, 0.0, 0.02);
        _weight = new Parameter(w);
        RegisterComponents();
    }

    /// <summary><c>B x T</c> int64 ids → <c>B x T x C</c>.</summary>
    public override Tensor forward(Tensor ids)
    {
        if (ids.numel() > 0)
        {
            long min = ids.min().item<long>(), max = ids.max().item<long>();
            if (min < 0 || max >= weight.shape[0])
                throw new BadInputException($"token id {(min < 0 ? min : max)} is outside the vocabulary [0, {weight.shape[0]})");
        }
        using var scope = NewDisposeScope();
        var flat = weight.index_select(0, ids.reshape(-1));
        return scope.MoveToOuter(flat.view([.. ids.shape, weight.shape[1]]));
    }
}

/// <summary>Multi-head self-attention with rotary positions and grouped-query key/value heads.</summary>
public sealed class LlamaAttention : nn.Module
{
    public LoraLinear q_proj, k_proj, v_proj, o_proj;
    readonly int _heads, _kvHeads, _headDim;

    public LlamaAttention(LlamaConfig c, Device? device, ScalarType dtype, bool initialize) : base("LlamaAttention")
    {
        _heads = c.NumAttentionHeads; _kvHeads = c.NumKeyValueHeads; _headDim = c.HeadDim;
        q_proj = new LoraLinear(c.HiddenSize, _heads * _headDim, device, dtype, initialize);
        k_proj = new LoraLinear(c.HiddenSize, _kvHeads * _headDim, device, dtype, initialize);
        v_proj = new LoraLinear(c.HiddenSize, _kvHeads * _headDim, device, dtype, initialize);
        o_proj = new LoraLinear(_heads * _headDim, c.HiddenSize, device, dtype, initialize);
        RegisterComponents();
    }

    /// <summary>
    /// <c>x</c>: B x T x C; <c>cos/sin</c>: B x T x D; <c>mask</c>: B x 1 x T x S bool or null (then
    /// plain causal when <paramref name="causal"/>, or all keys). Appends to <paramref name="cache"/> when given.
    /// </summary>
    public Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, bool causal, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var q = q_proj.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var k = k_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);
        var v = v_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);
        if (cache is not null) (k, v) = cache.Append(layer, k, v);
        if (_kvHeads != _heads)
        {
            // Each key/value head serves heads/kvHeads consecutive query heads.
            long rep = _heads / _kvHeads, s = k.shape[2];
            k = k.unsqueeze(2).expand(b, _kvHeads, rep, s, _headDim).reshape(b, _heads, s, _headDim);
            v = v.unsqueeze(2).expand(b, _kvHeads, rep, s, _headDim).reshape(b, _heads, s, _headDim);
        }
        var o = nn.functional.scaled_dot_product_attention(q, k, v, mask, 0.0, mask is null && causal);
        var y = o_proj.forward(o.transpose(1, 2).reshape(b, t, _heads * _headDim));
        return scope.MoveToOuter(y);
    }
}

/// <summary>SwiGLU feed-forward: <c>down(silu(gate(x)) · up(x))</c>.</summary>
public sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    public LoraLinear gate_proj, up_proj, down_proj;

    public LlamaMlp(LlamaConfig c, Device? device, ScalarType dtype, bool initialize) : base("LlamaMlp")
    {
        gate_proj = new LoraLinear(c.HiddenSize, c.IntermediateSize, device, dtype, initialize);
        up_proj = new LoraLinear(c.HiddenSize, c.IntermediateSize, device, dtype, initialize);
        down_proj = new LoraLinear(c.IntermediateSize, c.HiddenSize, device, dtype, initialize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(down_proj.forward(nn.functional.silu(gate_proj.forward(x)) * up_proj.forward(x)));
    }
}

/// <summary>Pre-norm residual block: <c>h = x + attn(norm(x)); out = h + mlp(norm(h))</c>.</summary>
public sealed class LlamaDecoderLayer : nn.Module
{
    public LlamaAttention self_attn;
    public LlamaMlp mlp;
    public LlamaRmsNorm input_layernorm, post_attention_layernorm;

    public LlamaDecoderLayer(LlamaConfig c, Device? device, ScalarType dtype, bool initialize) : base("LlamaDecoderLayer")
    {
        self_attn = new LlamaAttention(c, device, dtype, initialize);
        mlp = new LlamaMlp(c, device, dtype, initialize);
        input_layernorm = new LlamaRmsNorm(c.HiddenSize, c.RmsNormEps, device, dtype);
        post_attention_layernorm = new LlamaRmsNorm(c.HiddenSize, c.RmsNormEps, device, dtype);
        RegisterComponents();
    }

    public Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, bool causal, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        var h = x + self_attn.forward(input_layernorm.forward(x), cos, sin, mask, causal, cache, layer);
        var y = h + mlp.forward(post_attention_layernorm.forward(h));
        return scope.MoveToOuter(y);
    }
}

/// <summary>The decoder stack (<c>model.*</c> in HF): embeddings, layers, final norm.</summary>
public sealed class LlamaModel : nn.Module
{
    public TokenEmbedding embed_tokens;
    public ModuleList<LlamaDecoderLayer> layers;
    public LlamaRmsNorm norm;
    readonly double[] _inverseFrequencies;

    public LlamaModel(LlamaConfig c, Device? device, ScalarType dtype, bool initialize) : base("LlamaModel")
    {
        embed_tokens = new TokenEmbedding(c.VocabSize, c.HiddenSize, device, dtype, initialize);
        layers = new ModuleList<LlamaDecoderLayer>();
        for (int i = 0; i < c.NumHiddenLayers; i++) layers.Add(new LlamaDecoderLayer(c, device, dtype, initialize));
        norm = new LlamaRmsNorm(c.HiddenSize, c.RmsNormEps, device, dtype);
        // Kept out of the state dict: derived from the config (older HF checkpoints store it as
        // rotary_emb.inv_freq; the loader skips those).
        _inverseFrequencies = RotaryEmbedding.InverseFrequencies(c.HeadDim, c.RopeTheta, c.RopeScaling);
        RegisterComponents();
    }

    /// <summary>
    /// Runs the stack. <c>embeds</c>: B x T x C; <c>positionIds</c>: B x T int64; <c>mask</c>: B x 1 x T x S bool
    /// or null for a plain causal (or, with a non-empty cache and T = 1, unmasked) pass. Returns the
    /// final-norm hidden states B x T x C.
    /// </summary>
    public Tensor forward(Tensor embeds, Tensor positionIds, Tensor? mask, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var inv = tensor(_inverseFrequencies, dtype: ScalarType.Float32, device: embeds.device);
        var (cos, sin) = RotaryEmbedding.CosSin(positionIds, inv, embeds.dtype);
        bool causal = cache is null || cache.Length == 0;
        var h = embeds;
        for (int i = 0; i < layers.Count; i++) h = layers[i].forward(h, cos, sin, mask, causal, cache, i);
        return scope.MoveToOuter(norm.forward(h));
    }
}
#pragma warning restore IDE1006
