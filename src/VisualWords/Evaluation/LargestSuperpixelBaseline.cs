using VisualWords.Imaging;
using VisualWords.Superpixels;

namespace VisualWords.Evaluation;

/// <summary>Predicts the largest superpixel of the image, ignoring the expression (ties: the lowest region id).</summary>
public sealed class LargestSuperpixelBaseline(ISuperpixelizer superpixels) : IReferringPredictor
{
    readonly SuperpixelMasks.Cache _cache = new(superpixels);
    public string Name => $"largest superpixel ({SuperpixelMasks.Describe(superpixels)})";

    public ReferringPrediction Predict(RgbImage image, string expression)
    {
        var partition = _cache.Partition(image);
        var largest = partition.Regions.MaxBy(r => r.Area)!;
        return new ReferringPrediction(SuperpixelMasks.RegionMask(partition, largest.Id), null);
    }
}
