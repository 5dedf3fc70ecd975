namespace VisualWords.Data;

/// <summary>Area, bounding box and union/intersection of COCO run-length masks, by the reference's rules.</summary>
public static class RleOps
{
    public static long Area(Rle rle)
    {
        long a = 0;
        for (int j = 1; j < rle.Counts.Length; j += 2) a += rle.Counts[j];
        return a;
    }

    /// <summary>
    /// [x, y, width, height] of the set pixels; all zeros for an empty mask. A mask whose set
    /// pixels span two columns in one run gets the full height, as the reference computes it.
    /// </summary>
    public static double[] BoundingBox(Rle rle)
    {
        uint h = (uint)rle.Height, w = (uint)rle.Width;
        int m = rle.Counts.Length / 2 * 2;
        if (m == 0) return new double[4];
        uint xs = w, ys = h, xe = 0, ye = 0, cc = 0, xp = 0;
        unchecked
        {
            for (int j = 0; j < m; j++)
            {
                cc += rle.Counts[j];
                uint t = cc - (uint)(j % 2);
                uint y = t % h, x = (t - y) / h;
                if (j % 2 == 0) xp = x;
                else if (xp < x) { ys = 0; ye = h - 1; }
                xs = Math.Min(xs, x); xe = Math.Max(xe, x);
                ys = Math.Min(ys, y); ye = Math.Max(ye, y);
            }
            return new double[] { xs, ys, xe - xs + 1, ye - ys + 1 };
        }
    }

    /// <summary>
    /// Union (or intersection) of masks of one size, walking the runs of both at once. Masks of
    /// different sizes give an empty 0x0 RLE, as in the reference.
    /// </summary>
    public static Rle Merge(IReadOnlyList<Rle> rles, bool intersect = false)
    {
        if (rles.Count == 0) return new Rle(0, 0, []);
        var first = rles[0];
        if (rles.Count == 1) return new Rle(first.Height, first.Width, (uint[])first.Counts.Clone());
        int h = first.Height, w = first.Width;
        var acc = (uint[])first.Counts.Clone();
        var buffer = new List<uint>();
        for (int i = 1; i < rles.Count; i++)
        {
            var b = rles[i];
            if (b.Height != h || b.Width != w) return new Rle(0, 0, []);
            if (acc.Length == 0 || b.Counts.Length == 0) throw new BadInputException("cannot merge an RLE with no counts");
            buffer.Clear();
            uint ca = acc[0], cb = b.Counts[0], cc = 0, ct = 1;
            bool v = false, va = false, vb = false;
            int ia = 1, ib = 1;
            while (ct > 0)
            {
                uint c = Math.Min(ca, cb);
                cc += c;
                ct = 0;
                ca -= c; if (ca == 0 && ia < acc.Length) { ca = acc[ia++]; va = !va; }
                ct += ca;
                cb -= c; if (cb == 0 && ib < b.Counts.Length) { cb = b.Counts[ib++]; vb = !vb; }
                ct += cb;
                bool vp = v;
                v = intersect ? va && vb : va || vb;
                if (v != vp || ct == 0) { buffer.Add(cc); cc = 0; }
            }
            acc = buffer.ToArray();
        }
        return new Rle(h, w, acc);
    }

    /// <summary>Intersection and union pixel counts of two masks of one size.</summary>
    public static (long Intersection, long Union) Overlap(Rle a, Rle b)
    {
        if (a.Height != b.Height || a.Width != b.Width)
            throw new BadInputException($"masks differ in size: {a.Height}x{a.Width} vs {b.Height}x{b.Width}");
        return (Area(Merge([a, b], intersect: true)), Area(Merge([a, b])));
    }
}
