using static TorchSharp.torch;

namespace VisualWords.Evaluation;

/// <summary>
/// Referring-segmentation scores over a split, accumulated one expression at a time:
/// cIoU = Σ intersection / Σ union (large objects weigh more), gIoU = mean of per-expression IoU
/// (an empty prediction of an empty target counts 1), and precision at IoU thresholds 0.5..0.9
/// (share of expressions whose IoU is at least the threshold).
/// </summary>
public sealed class SegmentationMetrics
{
    public static readonly IReadOnlyList<double> Thresholds = [0.5, 0.6, 0.7, 0.8, 0.9];

    readonly List<double> _ious = new();
    long _intersection, _union;

    public int Count => _ious.Count;

    /// <summary>Pixel counts of prediction ∧ target and prediction ∨ target for two bool masks of one shape.</summary>
    public static (long Intersection, long Union) Overlap(Tensor prediction, Tensor target)
    {
        if (!prediction.shape.SequenceEqual(target.shape))
            throw new InvalidOperationException($"prediction [{string.Join(", ", prediction.shape)}] and target [{string.Join(", ", target.shape)}] differ in shape");
        using var scope = NewDisposeScope();
        var p = prediction.to(ScalarType.Bool);
        var t = target.to(ScalarType.Bool);
        return (logical_and(p, t).sum().item<long>(), logical_or(p, t).sum().item<long>());
    }

    public static double Iou(long intersection, long union) => union == 0 ? 1.0 : (double)intersection / union;

    /// <summary>
    /// IoU of thresholded masks (logits &gt; 0, [..., H, W]) with their targets, per mask; 0 where both
    /// are empty (a batch score for SAM's validation and training logs, unlike <see cref="Iou"/>'s 1).
    /// </summary>
    public static Tensor MaskIou(Tensor logits, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var pred = (logits > 0).to(ScalarType.Float32);
        var t = targets.expand_as(pred);
        var inter = (pred * t).sum([-2, -1]);
        var union = pred.sum([-2, -1]) + t.sum([-2, -1]) - inter;
        return (inter / union.clamp_min(1)).MoveToOuterDisposeScope();
    }

    public void Add(long intersection, long union)
    {
        if (intersection < 0 || union < intersection) throw new ArgumentException($"bad overlap: intersection {intersection}, union {union}");
        _intersection += intersection;
        _union += union;
        _ious.Add(Iou(intersection, union));
    }

    public void Add(Tensor prediction, Tensor target)
    {
        var (i, u) = Overlap(prediction, target);
        Add(i, u);
    }

    /// <summary>Cumulative IoU; 1 when every prediction and target was empty (nothing was missed).</summary>
    public double CIoU => _union == 0 ? (_ious.Count == 0 ? double.NaN : 1.0) : (double)_intersection / _union;

    public double GIoU => _ious.Count == 0 ? double.NaN : _ious.Average();

    public double PrecisionAt(double threshold) => _ious.Count == 0 ? double.NaN : (double)_ious.Count(v => v >= threshold) / _ious.Count;

    public IReadOnlyList<double> Ious => _ious;
}
