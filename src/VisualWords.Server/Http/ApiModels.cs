using VisualWords.Server.Inference;

namespace VisualWords.Server.Http;

// The JSON the API answers with (snake_case on the wire; times in milliseconds).

/// <summary>Visual tokens the LLM saw for the image, and the patch tokens a patch projector would have used.</summary>
public sealed record TokenCounts(int VisualWords, int Patches);

/// <summary>Milliseconds of the per-image work (paid once per image; a cache hit reports when it was paid).</summary>
public sealed record OpenMilliseconds(double SamEncoder, double VisualWords, double Prefix);

public sealed record ImageInfo(string Id, int Width, int Height, TokenCounts Tokens, bool CacheHit, OpenMilliseconds OpenMs, double QueueMs);

/// <summary>COCO RLE as pycocotools writes it: size [height, width] and the compressed counts string.</summary>
public sealed record RleJson(int[] Size, string Counts);

/// <summary>Milliseconds of one expression: LLM (text and [SEG]), mask decoder, and all of it with encoding.</summary>
public sealed record ExpressionMilliseconds(double Llm, double Decoder, double Total);

public sealed record ExpressionResult(
    string Expression, string Answer, int MaskCount, long Area, string MaskPng, RleJson Rle,
    IReadOnlyList<ChosenWord> Words, ExpressionMilliseconds TimingsMs);

public sealed record SegmentResponse(ImageInfo Image, IReadOnlyList<ExpressionResult> Results);
