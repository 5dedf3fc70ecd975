using TorchSharp;
using static TorchSharp.torch;

namespace VisualWords.Training;

/// <summary>
/// SAM's mask losses (the DETR pair it uses: sigmoid focal loss and dice loss, weighted 20 : 1) and
/// the actual IoU that the IoU head learns to predict.
/// </summary>
public static class SamLosses
{
    public const double FocalWeight = 20.0;
    public const double DiceWeight = 1.0;

    /// <summary>Sigmoid focal loss averaged over pixels (alpha 0.25, gamma 2).</summary>
    /// <param name="logits">... x H x W</param>
    /// <param name="targets">... x H x W in {0, 1}, broadcastable to logits.</param>
    /// <returns>The leading dimensions (...).</returns>
    public static Tensor Focal(Tensor logits, Tensor targets, double alpha = 0.25, double gamma = 2.0)
    {
        using var scope = torch.NewDisposeScope();
        targets = targets.expand_as(logits);
        var p = logits.sigmoid();
        var ce = nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction: nn.Reduction.None);
        var pt = p * targets + (1 - p) * (1 - targets);
        var loss = ce * (1 - pt).pow(gamma);
        var a = targets * alpha + (1 - targets) * (1 - alpha);
        return (a * loss).mean([-2, -1]).MoveToOuterDisposeScope();
    }

    /// <summary>Dice loss on sigmoid probabilities, 1 − (2|P∩T| + 1) / (|P| + |T| + 1).</summary>
    public static Tensor Dice(Tensor logits, Tensor targets)
    {
        using var scope = torch.NewDisposeScope();
        targets = targets.expand_as(logits);
        var p = logits.sigmoid();
        var num = 2 * (p * targets).sum([-2, -1]) + 1;
        var den = p.sum([-2, -1]) + targets.sum([-2, -1]) + 1;
        return (1 - num / den).MoveToOuterDisposeScope();
    }
}
