using static TorchSharp.torch;

namespace VisualWords.Sam.Amg;

/// <summary>Boxes around binary masks and box format conversions.</summary>
public static class MaskBoxes
{
    /// <summary>
    /// Tight XYXY boxes (inclusive pixel indices, int64) around bool masks [..., H, W] → [..., 4];
    /// an empty mask gets [0, 0, 0, 0].
    /// </summary>
    public static Tensor BatchedMaskToBox(Tensor masks)
    {
        if (masks.dim() < 2) throw new ArgumentException("masks must be [..., H, W]");
        using var scope = NewDisposeScope();
        var lead = masks.shape[..^2];
        long h = masks.shape[^2], w = masks.shape[^1];
        if (masks.numel() == 0) return scope.MoveToOuter(zeros([.. lead, 4], ScalarType.Int64, masks.device));
        var m = masks.reshape(-1, h, w);
        var (top, bottom) = Extent(m.any(-1), h);   // rows that hold a pixel
        var (left, right) = Extent(m.any(-2), w);   // columns that hold a pixel
        var box = stack([left, top, right, bottom], -1);
        var empty = (right < left).logical_or(bottom < top).unsqueeze(-1);
        box = box.masked_fill(empty, 0);
        return scope.MoveToOuter(box.reshape([.. lead, 4]));
    }

    // First and last index along the last axis where `present` is true; an all-false row gives
    // (n, 0), which the caller recognises as empty.
    static (Tensor First, Tensor Last) Extent(Tensor present, long n)
    {
        var idx = arange(n, ScalarType.Int64, present.device).unsqueeze(0);
        var last = (idx * present).amax(-1);
        var first = (idx + n * present.logical_not()).amin(-1);
        return (first, last);
    }

    /// <summary>[..., 4] XYXY → XYWH (same dtype).</summary>
    public static Tensor XyxyToXywh(Tensor boxes)
    {
        using var scope = NewDisposeScope();
        var xy = boxes[TensorIndex.Ellipsis, TensorIndex.Slice(0, 2)];
        var wh = boxes[TensorIndex.Ellipsis, TensorIndex.Slice(2, 4)] - xy;
        return scope.MoveToOuter(cat([xy, wh], -1));
    }

    /// <summary>Areas of XYXY boxes (as the NMS reference computes them: no +1).</summary>
    public static Tensor Area(Tensor boxes)
    {
        using var scope = NewDisposeScope();
        var b = boxes.to(ScalarType.Float32);
        return scope.MoveToOuter((b[.., 2] - b[.., 0]) * (b[.., 3] - b[.., 1]));
    }
}
