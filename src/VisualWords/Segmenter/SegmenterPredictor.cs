using VisualWords.Evaluation;
using VisualWords.Imaging;
using static TorchSharp.torch;

namespace VisualWords.Segmenter;

/// <summary>
/// The trained segmenter as an evaluation predictor. Consecutive expressions on the same image
/// share one <see cref="ImageSession"/> (the way a user would call it), so the first expression
/// of an image pays for the SAM encoder and visual words and the others only for text.
/// </summary>
public sealed class SegmenterPredictor(ReferringSegmenter segmenter, string name) : IReferringPredictor, IDisposable
{
    RgbImage? _image;
    ImageSession? _session;

    public string Name => name;

    public ReferringPrediction Predict(RgbImage image, string expression)
    {
        if (!ReferenceEquals(image, _image))
        {
            _session?.Dispose();
            _session = segmenter.Open(image);
            _image = image;
        }
        var result = _session!.Segment(expression);
        return new ReferringPrediction(tensor(result.Mask, [image.Height, image.Width]), _session.VisualTokenCount);
    }

    public void Dispose()
    {
        _session?.Dispose();
        segmenter.Dispose();
    }
}
