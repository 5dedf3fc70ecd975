using static TorchSharp.torch;

namespace VisualWords.Training;

/// <summary>Loss weights of the referring segmenter (LISA's defaults).</summary>
public sealed record SegmentationLossWeights
{
    public double Ce { get; init; } = 1.0;
    public double Bce { get; init; } = 2.0;
    public double Dice { get; init; } = 0.5;
    /// <summary>Visual-word grounding BCE (used only when the model grounds).</summary>
    public double Grounding { get; init; } = 1.0;
}

/// <summary>
/// LISA's losses: token cross-entropy on the answer only, and per-mask sigmoid BCE and Dice
/// (scale 1000, eps 1e-6), each summed over masks and divided by the number of masks.
/// </summary>
public static class SegmentationLosses
{
    /// <summary>Next-token CE: logits B x T x V predict labels shifted by one (ignore index -100).</summary>
    public static Tensor TokenCrossEntropy(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var v = logits.shape[2];
        var pred = logits.narrow(1, 0, logits.shape[1] - 1).reshape(-1, v).to(ScalarType.Float32);
        var target = labels.narrow(1, 1, labels.shape[1] - 1).reshape(-1).to(logits.device);
        return scope.MoveToOuter(nn.functional.cross_entropy(pred, target, ignore_index: -100));
    }

    /// <summary>Sigmoid BCE of mask logits N x H x W against targets in [0, 1], mean per mask, summed / N.</summary>
    public static Tensor MaskBce(Tensor logits, Tensor targets)
    {
        using var scope = NewDisposeScope();
        long n = logits.shape[0];
        var loss = nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction: nn.Reduction.None);
        return scope.MoveToOuter(loss.flatten(1).mean([1]).sum() / (n + 1e-8));
    }

    /// <summary>LISA's Dice: 1 − (2·Σ(p/s)·t + ε) / (Σp/s + Σt/s + ε) per mask, summed / N.</summary>
    public static Tensor MaskDice(Tensor logits, Tensor targets, double scale = 1000, double eps = 1e-6)
    {
        using var scope = NewDisposeScope();
        long n = logits.shape[0];
        var p = logits.sigmoid().flatten(1);
        var t = targets.flatten(1);
        var num = 2 * (p / scale * t).sum(1);
        var den = (p / scale).sum(1) + (t / scale).sum(1);
        var loss = 1 - (num + eps) / (den + eps);
        return scope.MoveToOuter(loss.sum() / (n + 1e-8));
    }

    /// <summary>
    /// Grounding: sigmoid BCE of word scores B x N against each word's overlap with the target
    /// (fraction of the word inside the target mask, 0..1), averaged over the real words
    /// (<paramref name="real"/> B x N marks them; padding is ignored).
    /// </summary>
    public static Tensor GroundingBce(Tensor scores, Tensor overlaps, Tensor real)
    {
        using var scope = NewDisposeScope();
        var loss = nn.functional.binary_cross_entropy_with_logits(scores, overlaps, reduction: nn.Reduction.None);
        var w = real.to(ScalarType.Float32);
        return scope.MoveToOuter((loss * w).sum() / w.sum().clamp_min(1));
    }

    /// <summary>
    /// Grounding as a choice among the words: softmax cross-entropy of the scores B x N (padding
    /// masked out) towards the word most inside the target. Per-word BCE alone settles in "no word
    /// is it" (most words are negatives) and learned at chance level in our runs; the softmax
    /// makes the words compete, which is what picking one is.
    /// </summary>
    public static Tensor GroundingChoice(Tensor scores, Tensor overlaps, Tensor real)
    {
        using var scope = NewDisposeScope();
        var masked = scores.masked_fill(real.logical_not(), float.NegativeInfinity);
        var target = overlaps.masked_fill(real.logical_not(), -1f).argmax(1);
        return scope.MoveToOuter(nn.functional.cross_entropy(masked, target));
    }
}
