namespace VisualWords.Sam.Amg;

/// <summary>Connected-component labelling of a binary image held as a row-major byte/bool array.</summary>
public static class ConnectedComponents
{
    /// <summary>
    /// Labels the true pixels of an h×w image: 0 is background, components get 1..n numbered in raster
    /// order of their first pixel. Two passes with union–find; <paramref name="connectivity"/> is 4 or 8.
    /// </summary>
    /// <returns>The label per pixel and the pixel count per label (index 0 counts the background).</returns>
    public static (int[] Labels, int[] Sizes) Label(ReadOnlySpan<bool> image, int h, int w, int connectivity = 8)
    {
        if (connectivity is not (4 or 8)) throw new ArgumentException("connectivity must be 4 or 8");
        if (image.Length != h * w) throw new ArgumentException($"image has {image.Length} pixels, expected {h}x{w}");
        var labels = new int[h * w];
        var parent = new List<int> { 0 };
        for (int y = 0; y < h; y++)
        {
            int row = y * w;
            for (int x = 0; x < w; x++)
            {
                int p = row + x;
                if (!image[p]) continue;
                int best = 0;
                // Already-visited neighbours: left, and the row above (up-left, up, up-right for 8).
                if (x > 0) best = Merge(parent, best, labels[p - 1]);
                if (y > 0)
                {
                    best = Merge(parent, best, labels[p - w]);
                    if (connectivity == 8)
                    {
                        if (x > 0) best = Merge(parent, best, labels[p - w - 1]);
                        if (x < w - 1) best = Merge(parent, best, labels[p - w + 1]);
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
        if (b == 0) return a;
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
