using static TorchSharp.torch;

namespace VisualWords.Sam.Amg;

/// <summary>
/// How much a mask changes when its binarisation cutoff moves: the IoU of the masks thresholded at
/// threshold + offset and threshold − offset. The first is always inside the second, so the IoU is
/// a ratio of pixel counts.
/// </summary>
public static class StabilityScore
{
    /// <param name="maskLogits">[..., H, W] float logits.</param>
    /// <returns>[...] float32 scores in [0, 1] (NaN where even the loose mask is empty, as in the reference).</returns>
    public static Tensor Calculate(Tensor maskLogits, double maskThreshold, double offset)
    {
        using var scope = NewDisposeScope();
        // int32 counts: a 1024² mask has ~1M pixels, more than int16 but far below int32's limit.
        var inter = (maskLogits > (maskThreshold + offset)).sum([-1, -2], type: ScalarType.Int32);
        var union = (maskLogits > (maskThreshold - offset)).sum([-1, -2], type: ScalarType.Int32);
        return scope.MoveToOuter(inter.to(ScalarType.Float32) / union.to(ScalarType.Float32));
    }
}
