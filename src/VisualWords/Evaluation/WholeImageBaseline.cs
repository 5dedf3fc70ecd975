using VisualWords.Imaging;
using static TorchSharp.torch;

namespace VisualWords.Evaluation;

/// <summary>Predicts every pixel, whatever the expression: IoU = the object's share of the image.</summary>
public sealed class WholeImageBaseline : IReferringPredictor
{
    public string Name => "whole image";

    public ReferringPrediction Predict(RgbImage image, string expression) =>
        new(ones(image.Height, image.Width, dtype: ScalarType.Bool), null);
}
