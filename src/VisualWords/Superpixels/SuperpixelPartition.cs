using static TorchSharp.torch;

namespace VisualWords.Superpixels;

/// <summary>
/// A label map (row-major, one label in 0..Regions.Count−1 per pixel) and its region records.
/// Region ids follow the raster order of each region's first pixel (top row first, left to right),
/// so the numbering depends only on the partition, never on the order masks arrived in.
/// </summary>
public sealed class SuperpixelPartition
{
    public int Height { get; }
    public int Width { get; }
    public int[] Labels { get; }
    public IReadOnlyList<SuperpixelRegion> Regions { get; }

    SuperpixelPartition(int height, int width, int[] labels, IReadOnlyList<SuperpixelRegion> regions)
    {
        Height = height; Width = width; Labels = labels; Regions = regions;
    }

    /// <summary>The label map as int64 [H, W].</summary>
    public Tensor LabelTensor() => tensor(Labels.Select(l => (long)l).ToArray(), [Height, Width]);

    /// <summary>
    /// Builds the partition from any labelling (arbitrary non-negative ids, not necessarily dense):
    /// renumbers to raster order and computes the region records.
    /// </summary>
    /// <param name="info">Source and mask index of each input id.</param>
    public static SuperpixelPartition FromLabels(int[] rawLabels, int height, int width, Func<int, (RegionSource Source, int MaskIndex)> info)
    {
        if (rawLabels.Length != height * width) throw new ArgumentException("label map size does not match the image");
        var dense = new Dictionary<int, int>();
        var labels = new int[rawLabels.Length];
        var firstRaw = new List<int>();
        for (int p = 0; p < rawLabels.Length; p++)
        {
            int raw = rawLabels[p];
            if (!dense.TryGetValue(raw, out int id))
            {
                id = dense.Count;
                dense[raw] = id;
                firstRaw.Add(raw);
            }
            labels[p] = id;
        }
        int n = dense.Count;
        var area = new long[n]; var sx = new double[n]; var sy = new double[n];
        var x0 = Enumerable.Repeat(int.MaxValue, n).ToArray(); var y0 = Enumerable.Repeat(int.MaxValue, n).ToArray();
        var x1 = new int[n]; var y1 = new int[n];
        for (int y = 0, p = 0; y < height; y++)
            for (int x = 0; x < width; x++, p++)
            {
                int l = labels[p];
                area[l]++; sx[l] += x; sy[l] += y;
                if (x < x0[l]) x0[l] = x;
                if (x > x1[l]) x1[l] = x;
                if (y < y0[l]) y0[l] = y;
                y1[l] = y;
            }
        var regions = new SuperpixelRegion[n];
        for (int l = 0; l < n; l++)
        {
            var (source, maskIndex) = info(firstRaw[l]);
            regions[l] = new SuperpixelRegion(l, area[l], x0[l], y0[l], x1[l] - x0[l] + 1, y1[l] - y0[l] + 1,
                sx[l] / area[l], sy[l] / area[l], source, maskIndex);
        }
        return new SuperpixelPartition(height, width, labels, regions);
    }
}
