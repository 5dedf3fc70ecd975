using VisualWords.Data;
using VisualWords.Imaging;
using static TorchSharp.torch;

namespace VisualWords.Evaluation;

/// <summary>
/// Predicts one region of a label map chosen uniformly at random, ignoring the expression. Seeded:
/// the same calls in the same order give the same choices.
/// </summary>
public sealed class RandomSuperpixelBaseline(ISuperpixelSource superpixels, long seed = 0) : IReferringPredictor
{
    readonly DeterministicRandom _rng = DeterministicRandom.Fork(seed, 0);

    public string Name => $"random superpixel ({superpixels.Name})";

    public ReferringPrediction Predict(RgbImage image, string expression)
    {
        using var scope = NewDisposeScope();
        var labels = superpixels.Labels(image);
        // Labels are 0..K-1; bincount is much cheaper than unique (no sort).
        var present = bincount(labels.flatten()).nonzero().flatten();
        long pick = present[_rng.Next((int)present.shape[0])].item<long>();
        return new ReferringPrediction(scope.MoveToOuter(labels.eq(pick)), null);
    }
}
