using VisualWords.Data;
using VisualWords.Imaging;
using VisualWords.Superpixels;

namespace VisualWords.Evaluation;

/// <summary>
/// Predicts one superpixel of the image chosen uniformly at random, ignoring the expression.
/// Seeded: the same calls in the same order give the same choices.
/// </summary>
public sealed class RandomSuperpixelBaseline(ISuperpixelizer superpixels, long seed = 0) : IReferringPredictor
{
    readonly SuperpixelMasks.Cache _cache = new(superpixels);
    readonly DeterministicRandom _rng = DeterministicRandom.Fork(seed, 0);

    public string Name => $"random superpixel ({SuperpixelMasks.Describe(superpixels)})";

    public ReferringPrediction Predict(RgbImage image, string expression)
    {
        var partition = _cache.Partition(image);
        return new ReferringPrediction(SuperpixelMasks.RegionMask(partition, _rng.Next(partition.Regions.Count)), null);
    }
}
