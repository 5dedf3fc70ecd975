using System.Text.Json;

namespace VisualWords.Segmenter;

/// <summary>
/// What <c>visualwords segment --json</c> writes for one image: its original and decoded size, the
/// visual tokens the LLM saw, the per-image timings and one entry per expression. snake_case on the
/// wire (<c>decoded_width</c>, <c>timings_ms</c>, ...); times in milliseconds.
/// </summary>
public sealed record SegmentReport(string Image, int Width, int Height, int DecodedWidth, int DecodedHeight, int VisualTokens,
    SegmentTimings TimingsMs, IReadOnlyList<SegmentExpressionReport> Results)
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static SegmentReport FromJson(string json) =>
        JsonSerializer.Deserialize<SegmentReport>(json, Json) ?? throw new BadInputException("empty segment report JSON");
}

/// <summary>Milliseconds of the per-image work: decoding, loading the model, SAM encoder, visual words, LLM prefix.</summary>
public sealed record SegmentTimings(double Decode, double Load, double SamEncoder, double VisualWords, double Prefix);

/// <summary>
/// One expression: the answer, how many [SEG] masks it gave, the first mask's area at the original size
/// and the file it went to, the grounded words of every mask, and the LLM and mask-decoder milliseconds.
/// </summary>
public sealed record SegmentExpressionReport(string Expression, string Answer, int Masks, long Area, string Mask,
    IReadOnlyList<IReadOnlyList<GroundedWord>> Words, ExpressionTimings TimingsMs);

public sealed record ExpressionTimings(double Llm, double Decoder);
