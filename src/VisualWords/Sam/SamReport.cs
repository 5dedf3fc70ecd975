using System.Text.Json;

namespace VisualWords.Sam;

/// <summary>
/// What <c>visualwords sam --json</c> writes: the prompts, SAM's predicted IoU of each candidate mask and
/// which one was written, its pixel count, timings in milliseconds and the CPU threads (snake_case keys).
/// </summary>
public sealed record SamReport(string ModelType, SamImageInfo Image, IReadOnlyList<SamPoint> Points, double[]? Box, bool Multimask,
    float[] IouPredictions, int BestIndex, long MaskPixels, SamTimings TimingsMs, int Threads)
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

public sealed record SamImageInfo(string Path, int Width, int Height);

/// <summary>Milliseconds: loading the checkpoint, the image encoder, the mask decoder, writing the outputs.</summary>
public sealed record SamTimings(double Load, double Encoder, double Decoder, double Write);
