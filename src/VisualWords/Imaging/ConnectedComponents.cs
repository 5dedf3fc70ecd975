namespace VisualWords.Imaging;

/// <summary>Connected-component labelling of row-major images (two passes with union–find).</summary>
public static class ConnectedComponents
{
    /// <summary>
    /// Labels the true pixels of an h×w binary image: 0 is background, components get 1..n numbered in
    /// raster order of their first pixel. <paramref name="connectivity"/> is 4 or 8.
    /// </summary>
    /// <returns>The label per pixel and the pixel count per label (index 0 counts the background).</returns>
    public static (int[] Labels, int[] Sizes) Label(ReadOnlySpan<bool> image, int h, int w, int connectivity = 8)
    {
        if (image.Length != h * w) throw new ArgumentException($"image has {image.Length} pixels, expected {h}x{w}");
        var values = new int[image.Length];
        for (int i = 0; i < values.Length; i++) values[i] = image[i] ? 1 : 0;
        return LabelCore(values, h, w, connectivity, background: 0);
    }

    /// <summary>
    /// Splits a label map into connected pieces: pixels join when they are neighbours with equal values
    /// (and, if given, <paramref name="joins"/> holds for the two pixel indices, e.g. similar colours).
    /// Pieces are numbered 0..n−1 in raster order of their first pixel.
    /// </summary>
    public static (int[] Pieces, int Count) SplitRegions(int[] values, int h, int w, int connectivity = 4, Func<int, int, bool>? joins = null)
    {
        if (values.Length != h * w) throw new ArgumentException($"label map has {values.Length} pixels, expected {h}x{w}");
        var (labels, sizes) = LabelCore(values, h, w, connectivity, background: null, joins);
        for (int i = 0; i < labels.Length; i++) labels[i]--;
        return (labels, sizes.Length - 1);
    }

    static (int[] Labels, int[] Sizes) LabelCore(int[] values, int h, int w, int connectivity, int? background, Func<int, int, bool>? joins = null)
    {
        if (connectivity is not (4 or 8)) throw new ArgumentException("connectivity must be 4 or 8");
        var labels = new int[h * w];
        var parent = new List<int> { 0 };
        for (int y = 0; y < h; y++)
        {
            int row = y * w;
            for (int x = 0; x < w; x++)
            {
                int p = row + x;
                int v = values[p];
                if (v == background) continue;
                int best = 0;
                // Already-visited neighbours: left, and the row above (up-left, up, up-right for 8).
                bool Joined(int q) => values[q] == v && (joins is null || joins(p, q));
                if (x > 0 && Joined(p - 1)) best = Merge(parent, best, labels[p - 1]);
                if (y > 0)
                {
                    if (Joined(p - w)) best = Merge(parent, best, labels[p - w]);
                    if (connectivity == 8)
                    {
                        if (x > 0 && Joined(p - w - 1)) best = Merge(parent, best, labels[p - w - 1]);
                        if (x < w - 1 && Joined(p - w + 1)) best = Merge(parent, best, labels[p - w + 1]);
                    }
                }
                if (best == 0) { best = parent.Count; parent.Add(best); }
                labels[p] = best;
            }
        }
        // Resolve to roots and renumber densely; provisional labels are created in raster order and a
        // root is always the smallest label of its set, so dense numbers follow first-pixel order.
        var dense = new int[parent.Count];
        int next = 0;
        for (int l = 1; l < parent.Count; l++)
        {
            int r = Find(parent, l);
            dense[l] = r == l ? ++next : dense[r];
        }
        var sizes = new int[next + 1];
        for (int p = 0; p < labels.Length; p++)
        {
            int l = dense[labels[p]];
            labels[p] = l;
            sizes[l]++;
        }
        return (labels, sizes);
    }

    static int Merge(List<int> parent, int a, int b)
    {
        if (a == 0) return Find(parent, b);
        int ra = Find(parent, a), rb = Find(parent, b);
        if (ra == rb) return ra;
        // Keep the smaller label as root so that roots stay the first-seen label of their set.
        if (ra < rb) { parent[rb] = ra; return ra; }
        parent[ra] = rb;
        return rb;
    }

    static int Find(List<int> parent, int x)
    {
        while (parent[x] != x)
        {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        return x;
    }
}
