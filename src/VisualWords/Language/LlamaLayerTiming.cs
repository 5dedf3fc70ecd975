using System.Diagnostics;
using static TorchSharp.torch;

namespace VisualWords.Language;

/// <summary>
/// Times one decoder layer's prefill of a given number of tokens (random hidden states, causal mask):
/// one warm-up forward, then the fastest of <c>runs</c> timed forwards, in milliseconds. Shared by the
/// <c>llm-layer</c> benchmark and the real-scale cost of <c>bench paper</c>, so both time the same thing.
/// </summary>
public static class LlamaLayerTiming
{
    public static double BestMs(LlamaDecoderLayer layer, LlamaConfig config, ScalarType dtype, int tokens, int runs)
    {
        if (runs < 1) throw new ArgumentOutOfRangeException(nameof(runs), "time at least one run");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var inv = tensor(RotaryEmbedding.InverseFrequencies(config.HeadDim, config.RopeTheta, null), dtype: ScalarType.Float32);
        var x = randn(1, tokens, config.HiddenSize).to_type(dtype);
        var (cos, sin) = RotaryEmbedding.CosSin(arange(tokens, dtype: ScalarType.Int64).unsqueeze(0), inv, dtype);
        layer.forward(x, cos, sin, null, true, null, 0).Dispose();   // warm-up
        double best = double.MaxValue;
        for (int r = 0; r < runs; r++)
        {
            var sw = Stopwatch.StartNew();
            layer.forward(x, cos, sin, null, true, null, 0).Dispose();
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
        }
        return best;
    }
}
