using TorchSharp;
using static TorchSharp.torch;

namespace VisualWords.Language;

/// <summary>
/// Rotary position embedding (RoPE) in the Hugging Face "rotate half" layout: dimension i of a
/// head pairs with dimension i + D/2. Positions are explicit per token, so packed or padded
/// sequences rotate by their own position, not by their index in the batch row.
/// </summary>
public static class RotaryEmbedding
{
    /// <summary>Inverse frequencies theta^(-2i/D) for i in [0, D/2), with the configured scaling.</summary>
    public static double[] InverseFrequencies(int headDim, double theta, RopeScaling? scaling)
    {
        var inv = new double[headDim / 2];
        for (int i = 0; i < inv.Length; i++) inv[i] = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
        if (scaling is null) return inv;
        if (scaling.Type == "linear")
            // Stretching positions by 1/factor is the same as stretching every frequency by it.
            return inv.Select(f => f / scaling.Factor).ToArray();
        if (scaling.Type == "llama3")
        {
            // Meta's Llama-3.1 rule: keep short wavelengths, scale long ones, blend in between.
            double lowWavelen = scaling.OriginalMaxPositionEmbeddings / scaling.LowFreqFactor;
            double highWavelen = scaling.OriginalMaxPositionEmbeddings / scaling.HighFreqFactor;
            return inv.Select(f =>
            {
                double wavelen = 2 * Math.PI / f;
                if (wavelen < highWavelen) return f;
                if (wavelen > lowWavelen) return f / scaling.Factor;
                double smooth = (scaling.OriginalMaxPositionEmbeddings / wavelen - scaling.LowFreqFactor)
                                / (scaling.HighFreqFactor - scaling.LowFreqFactor);
                return (1 - smooth) * f / scaling.Factor + smooth * f;
            }).ToArray();
        }
        throw new BadInputException($"unsupported rope_scaling type '{scaling.Type}'");
    }

    /// <summary>cos and sin tables for positions <c>B x T</c> (int64): each <c>B x T x D</c> in <paramref name="dtype"/>.</summary>
    public static (Tensor Cos, Tensor Sin) CosSin(Tensor positionIds, Tensor inverseFrequencies, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        // Angles in fp32 even for bf16 models: bf16 cannot represent position * freq for long contexts.
        var angles = positionIds.to_type(ScalarType.Float32).unsqueeze(-1) * inverseFrequencies.to(positionIds.device).unsqueeze(0).unsqueeze(0);
        var emb = cat([angles, angles], dim: -1);
        return (scope.MoveToOuter(emb.cos().to_type(dtype)), scope.MoveToOuter(emb.sin().to_type(dtype)));
    }

    /// <summary>Rotates <c>B x H x T x D</c> queries or keys by per-token cos/sin (<c>B x T x D</c>).</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var c = cos.unsqueeze(1);
        var s = sin.unsqueeze(1);
        var half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat([-x2, x1], dim: -1);
        return scope.MoveToOuter(x * c + rotated * s);
    }
}
