using VisualWords.Imaging;

namespace VisualWords.Superpixels;

/// <summary>
/// Splits each region of a label map into its colour-coherent parts: two 4-neighbours stay together
/// when they share a region and no channel differs by more than the tolerance, and each connected
/// part becomes a region. A word that holds two touching things of different colours (SAM merged
/// them, or neither had a kept mask and they form one uncovered component) becomes two words; a
/// smooth gradient or noise within the tolerance stays whole. Fragments (antialiased edges,
/// texture) are left to <see cref="RegionMerger"/>'s minimum area, which moves each into the
/// neighbour it shares the longest border with.
/// </summary>
public static class ColourSplit
{
    /// <param name="labels">Row-major label map (any non-negative ints).</param>
    /// <returns>New labels 1..M (raster order of each part's first pixel) and, per new label, the label it came from (index 0 unused).</returns>
    public static (int[] Labels, int[] Origin) Split(int[] labels, int height, int width, RgbImage image, int tolerance)
    {
        if (image.Width != width || image.Height != height)
            throw new BadInputException($"the image is {image.Width}x{image.Height}, the label map {width}x{height}");
        if (labels.Length != height * width) throw new ArgumentException($"{labels.Length} labels for a {width}x{height} map");
        var parent = new int[labels.Length];
        for (int p = 0; p < parent.Length; p++) parent[p] = p;
        var px = image.Pixels;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int p = y * width + x;
                if (x + 1 < width && labels[p] == labels[p + 1] && Close(px, p, p + 1, tolerance)) Union(parent, p, p + 1);
                if (y + 1 < height && labels[p] == labels[p + width] && Close(px, p, p + width, tolerance)) Union(parent, p, p + width);
            }
        var newLabel = new int[labels.Length];
        var origin = new List<int> { -1 };
        var result = new int[labels.Length];
        for (int p = 0; p < labels.Length; p++)
        {
            int root = Find(parent, p);
            if (newLabel[root] == 0) { newLabel[root] = origin.Count; origin.Add(labels[p]); }
            result[p] = newLabel[root];
        }
        return (result, origin.ToArray());
    }

    static bool Close(byte[] px, int a, int b, int tolerance) =>
        Math.Abs(px[3 * a] - px[3 * b]) <= tolerance && Math.Abs(px[3 * a + 1] - px[3 * b + 1]) <= tolerance
        && Math.Abs(px[3 * a + 2] - px[3 * b + 2]) <= tolerance;

    static int Find(int[] parent, int p)
    {
        while (parent[p] != p) { parent[p] = parent[parent[p]]; p = parent[p]; }
        return p;
    }

    static void Union(int[] parent, int a, int b)
    {
        int ra = Find(parent, a), rb = Find(parent, b);
        if (ra != rb) parent[Math.Max(ra, rb)] = Math.Min(ra, rb);
    }
}
