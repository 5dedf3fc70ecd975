using VisualWords.Imaging;
using static TorchSharp.torch;

namespace VisualWords.Evaluation;

/// <summary>Predicts the largest region of a label map, ignoring the expression (ties: the lowest label).</summary>
public sealed class LargestSuperpixelBaseline(ISuperpixelSource superpixels) : IReferringPredictor
{
    public string Name => $"largest superpixel ({superpixels.Name})";

    public ReferringPrediction Predict(RgbImage image, string expression)
    {
        using var scope = NewDisposeScope();
        var labels = superpixels.Labels(image);
        var counts = bincount(labels.flatten());
        long largest = counts.argmax().item<long>();
        return new ReferringPrediction(scope.MoveToOuter(labels.eq(largest)), null);
    }
}
