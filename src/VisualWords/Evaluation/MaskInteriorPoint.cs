namespace VisualWords.Evaluation;

/// <summary>
/// The click an evaluation gives for an object: its most interior pixel (farthest from the mask's
/// border by a 3-4 chamfer distance, ties to the one nearest the centroid). The centroid alone
/// can fall outside the mask (a ring's hole, a star's notch); the most interior pixel never does.
/// </summary>
public static class MaskInteriorPoint
{
    /// <returns>(x, y) pixel of a row-major h x w mask; throws for an empty mask.</returns>
    public static (int X, int Y) Find(bool[] mask, int h, int w)
    {
        if (mask.Length != h * w) throw new ArgumentException($"mask has {mask.Length} pixels, expected {h}x{w}");
        const int Inf = int.MaxValue / 2;
        var d = new int[h * w];
        double cx = 0, cy = 0;
        long n = 0;
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = mask[i] ? Inf : 0;
            if (mask[i]) { cx += i % w; cy += i / w; n++; }
        }
        if (n == 0) throw new BadInputException("cannot place a point in an empty mask");
        (cx, cy) = (cx / n, cy / n);
        // Outside the image counts as background, so distances also stop at the image border.
        int At(int x, int y) => x < 0 || y < 0 || x >= w || y >= h ? 0 : d[y * w + x];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (d[y * w + x] > 0)
                    d[y * w + x] = Math.Min(d[y * w + x], Math.Min(Math.Min(At(x - 1, y) + 3, At(x, y - 1) + 3),
                        Math.Min(At(x - 1, y - 1) + 4, At(x + 1, y - 1) + 4)));
        for (int y = h - 1; y >= 0; y--)
            for (int x = w - 1; x >= 0; x--)
                if (d[y * w + x] > 0)
                    d[y * w + x] = Math.Min(d[y * w + x], Math.Min(Math.Min(At(x + 1, y) + 3, At(x, y + 1) + 3),
                        Math.Min(At(x + 1, y + 1) + 4, At(x - 1, y + 1) + 4)));
        int best = -1;
        double bestCentroid = double.MaxValue;
        for (int i = 0; i < d.Length; i++)
        {
            if (!mask[i]) continue;
            double c = Math.Pow(i % w - cx, 2) + Math.Pow(i / w - cy, 2);
            if (best < 0 || d[i] > d[best] || d[i] == d[best] && c < bestCentroid) (best, bestCentroid) = (i, c);
        }
        return (best % w, best / w);
    }
}
