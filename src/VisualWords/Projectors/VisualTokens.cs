using static TorchSharp.torch;

namespace VisualWords.Projectors;

/// <summary>
/// Projector output: Tokens B x N_max x D (rows past an image's length are zero) and Mask
/// B x N_max (true = real token). Lengths[b] = number of real tokens of image b; real tokens
/// always come first, so the LLM side can pack them with a slice.
/// </summary>
public sealed class VisualTokens : IDisposable
{
    public VisualTokens(Tensor tokens, Tensor mask, long[] lengths)
    {
        Tokens = tokens;
        Mask = mask;
        Lengths = lengths;
    }

    public Tensor Tokens { get; }
    public Tensor Mask { get; }
    public long[] Lengths { get; }
    /// <summary>Semantic projector with SSPE: each word's geometry descriptor B x N x G (box, centroid, area, shape, colour), the input SSPE embeds.</summary>
    public Tensor? Descriptors { get; init; }

    /// <summary>All images have the same number of tokens (patch-wise projectors, resampler).</summary>
    public static VisualTokens Dense(Tensor tokens)
    {
        var (b, n) = (tokens.shape[0], tokens.shape[1]);
        return new VisualTokens(tokens, ones(b, n, dtype: ScalarType.Bool, device: tokens.device), Enumerable.Repeat(n, (int)b).ToArray());
    }

    public void Dispose()
    {
        Tokens.Dispose();
        Mask.Dispose();
        Descriptors?.Dispose();
    }
}
