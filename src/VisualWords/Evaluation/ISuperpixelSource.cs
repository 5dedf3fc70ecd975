using VisualWords.Imaging;
using static TorchSharp.torch;

namespace VisualWords.Evaluation;

/// <summary>
/// Splits an image into regions: an int64 label map [H, W] with labels 0..K-1. The semantic
/// superpixels from SAM's everything mode are one source; <see cref="GridSuperpixels"/> is a
/// model-free one.
/// </summary>
public interface ISuperpixelSource
{
    string Name { get; }

    Tensor Labels(RgbImage image);
}
