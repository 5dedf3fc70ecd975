using VisualWords.Imaging;
using static TorchSharp.torch;

namespace VisualWords.Evaluation;

/// <summary>
/// A prediction: a bool mask [H, W] at the image's size, and how many visual tokens the
/// predictor fed its language model for this image (null for predictors without one, such as the
/// baselines).
/// </summary>
public sealed record ReferringPrediction(Tensor Mask, int? VisualTokens) : IDisposable
{
    public void Dispose() => Mask.Dispose();
}

/// <summary>
/// Anything that segments the object an expression names: the trained model, or a baseline.
/// The evaluator times each call, so a predictor should do all its per-expression work inside.
/// </summary>
public interface IReferringPredictor
{
    /// <summary>Name in reports, e.g. "whole image" or a checkpoint's name.</summary>
    string Name { get; }

    ReferringPrediction Predict(RgbImage image, string expression);
}
