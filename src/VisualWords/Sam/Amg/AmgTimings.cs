namespace VisualWords.Sam.Amg;

/// <summary>Seconds spent per stage of one everything-mode run (for the CLI and the benchmark).</summary>
public sealed class AmgTimings
{
    /// <summary>Obtaining crop embeddings (the encoder, or just a copy when precomputed).</summary>
    public double Encoder { get; set; }
    /// <summary>Prompt encoder + mask decoder (low-res logits and IoU predictions).</summary>
    public double Decoder { get; set; }
    /// <summary>Upscaling low-res logits of IoU-filter survivors to the crop size.</summary>
    public double Upscale { get; set; }
    /// <summary>Stability scores, thresholding, boxes, crop-edge filter.</summary>
    public double Filters { get; set; }
    /// <summary>Uncropping and run-length encoding of survivors.</summary>
    public double Rle { get; set; }
    /// <summary>Box NMS within crops.</summary>
    public double Nms { get; set; }
    /// <summary>NMS across crops and small-region clean-up.</summary>
    public double Postprocess { get; set; }
    public double Total { get; set; }
    /// <summary>Point prompts decoded.</summary>
    public long Prompts { get; set; }

    public override string ToString() =>
        $"total {Total:F3}s: encoder {Encoder:F3}, decoder {Decoder:F3} ({Prompts} prompts), upscale {Upscale:F3}, " +
        $"filters {Filters:F3}, rle {Rle:F3}, nms {Nms:F3}, post {Postprocess:F3}";
}

/// <summary>
/// Where a running everything-mode call stands: prompts decoded so far, the grid's prompt count
/// (fast mode usually stops well short of it), seconds since the start, and the stage timings so far.
/// </summary>
public sealed record AmgProgress(long Prompts, long GridPrompts, double Seconds, AmgTimings Timings);
