using VisualWords.Imaging;
using VisualWords.Superpixels;
using static TorchSharp.torch;

namespace VisualWords.Evaluation;

/// <summary>Region masks of a superpixel partition, for the superpixel baselines.</summary>
public static class SuperpixelMasks
{
    /// <summary>Bool [H, W]: the pixels of region <paramref name="id"/>.</summary>
    public static Tensor RegionMask(SuperpixelPartition partition, int id)
    {
        var mask = new bool[partition.Labels.Length];
        for (int p = 0; p < mask.Length; p++) mask[p] = partition.Labels[p] == id;
        return tensor(mask, new long[] { partition.Height, partition.Width });
    }

    /// <summary>
    /// The partition of the image, recomputed only when a different image comes: a predictor is
    /// asked about several expressions of one image in a row, and superpixels depend on the image alone.
    /// </summary>
    public sealed class Cache(ISuperpixelizer superpixels)
    {
        RgbImage? _image;
        SuperpixelPartition? _partition;

        public SuperpixelPartition Partition(RgbImage image)
        {
            if (!ReferenceEquals(image, _image) || _partition is null)
            {
                _partition = superpixels.Partition(image);
                _image = image;
            }
            return _partition;
        }
    }

    public static string Describe(ISuperpixelizer s) => s is GridSuperpixelizer g ? $"grid {g.CellsPerSide}x{g.CellsPerSide}" : s.Name;
}
