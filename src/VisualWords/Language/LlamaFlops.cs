namespace VisualWords.Language;

/// <summary>Arithmetic cost of a LLaMA forward pass, counted from its config (no timing, no weights).</summary>
public static class LlamaFlops
{
    /// <summary>
    /// Floating-point operations (1 multiply-add = 2 FLOPs) to prefill a prompt of
    /// <paramref name="tokens"/> positions — what <see cref="Segmenter.ImageSession"/> runs once per
    /// image and question before the first answer token:
    /// <code>
    ///   per layer, per position:  2 · d · (d + 2·d_kv + d)     q, k, v, o projections (d_kv = kv_heads · head_dim)
    ///                           + 2 · 3 · d · d_ff             SwiGLU gate, up, down
    ///   per layer, causal attention over T positions:
    ///                             2 · 2 · d · T(T+1)/2         QKᵀ and attention · V, each position over its prefix
    ///   once:                     2 · d · V                    lm_head on the last position (the first answer token)
    /// </code>
    /// Norms, RoPE, softmax and the embedding lookup are left out (a few percent at these widths).
    /// A fractional <paramref name="tokens"/> (a mean prompt length) is allowed.
    /// </summary>
    public static double Prefill(LlamaConfig c, double tokens)
    {
        double d = c.HiddenSize, dKv = (double)c.NumKeyValueHeads * c.HeadDim, t = tokens;
        double perPosition = 2 * d * (d + 2 * dKv + d) + 2 * 3 * d * c.IntermediateSize;
        double attention = 2 * 2 * d * t * (t + 1) / 2;
        return c.NumHiddenLayers * (t * perPosition + attention) + 2 * d * c.VocabSize;
    }
}
