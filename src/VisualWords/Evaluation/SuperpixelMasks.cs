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

    public static string Describe(ISuperpixelizer s) => s is GridSuperpixelizer g ? $"grid {g.CellsPerSide}x{g.CellsPerSide}" : s.Name;
}
