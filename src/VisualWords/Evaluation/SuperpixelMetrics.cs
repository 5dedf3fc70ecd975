namespace VisualWords.Evaluation;

/// <summary>
/// The standard superpixel metrics (Stutz et al., "Superpixels: an evaluation of the state-of-the-art",
/// 2018) on row-major label maps. A superpixel map has one label per pixel (any non-negative ids); the
/// ground truth is a partition too (<see cref="GroundTruthLabels"/> turns instance masks into one, with
/// the unannotated pixels as one more segment), except for object recall, which scores each instance mask.
/// </summary>
public static class SuperpixelMetrics
{
    /// <summary>
    /// A ground-truth partition from instance masks: label 0 for pixels in no mask, else 1 + the index of
    /// the first mask (in list order) that holds the pixel, so overlapping annotations still give a partition.
    /// </summary>
    public static int[] GroundTruthLabels(IReadOnlyList<bool[]> masks, int pixels)
    {
        var labels = new int[pixels];
        for (int i = masks.Count - 1; i >= 0; i--)
        {
            if (masks[i].Length != pixels) throw new ArgumentException($"mask {i} has {masks[i].Length} pixels, the image {pixels}");
            for (int p = 0; p < pixels; p++)
                if (masks[i][p]) labels[p] = i + 1;
        }
        return labels;
    }

    /// <summary>
    /// Achievable segmentation accuracy: the fraction of pixels labelled correctly when every superpixel
    /// takes the ground-truth segment it overlaps most, Σ_k max_g |s_k ∩ g| / N. 1 is best.
    /// </summary>
    public static double AchievableSegmentationAccuracy(int[] superpixels, int[] groundTruth)
    {
        var table = Contingency.Of(superpixels, groundTruth);
        long best = 0;
        for (int s = 0; s < table.Rows; s++) best += table.RowMax(s);
        return (double)best / superpixels.Length;
    }

    /// <summary>
    /// Under-segmentation error in the form of Neubert and Protzel (2012), which Stutz et al. use:
    /// (1/N) Σ_g Σ_{k: s_k ∩ g ≠ ∅} min(|s_k ∩ g|, |s_k \ g|) — each superpixel that leaks across a
    /// ground-truth boundary costs the smaller of its inside and outside parts. 0 is best.
    /// </summary>
    public static double UndersegmentationError(int[] superpixels, int[] groundTruth)
    {
        var table = Contingency.Of(superpixels, groundTruth);
        long error = 0;
        for (int s = 0; s < table.Rows; s++)
        {
            long size = table.RowSum(s);
            for (int g = 0; g < table.Columns; g++)
            {
                long inside = table[s, g];
                if (inside > 0) error += Math.Min(inside, size - inside);
            }
        }
        return (double)error / superpixels.Length;
    }

    /// <summary>
    /// Boundary recall: the fraction of ground-truth boundary pixels with a superpixel boundary pixel
    /// within <paramref name="tolerance"/> pixels (a (2t+1)² window, as in Stutz et al.'s benchmark).
    /// A pixel is on a boundary when a 4-neighbour has another label. An image without ground-truth
    /// boundary gives NaN (nothing to recall).
    /// </summary>
    public static double BoundaryRecall(int[] superpixels, int[] groundTruth, int height, int width, int tolerance = 2)
    {
        if (tolerance < 0) throw new ArgumentOutOfRangeException(nameof(tolerance), "tolerance must be >= 0");
        var gt = Boundaries(groundTruth, height, width);
        var near = Dilate(Boundaries(superpixels, height, width), height, width, tolerance);
        long total = 0, hit = 0;
        for (int p = 0; p < gt.Length; p++)
        {
            if (!gt[p]) continue;
            total++;
            if (near[p]) hit++;
        }
        return total == 0 ? double.NaN : (double)hit / total;
    }

    /// <summary>
    /// For each object mask, the best IoU a single superpixel reaches with it (0 for an empty mask):
    /// the object recall at IoU ≥ 0.5 counts objects one visual word can stand for.
    /// </summary>
    public static double[] BestRegionIou(int[] superpixels, IReadOnlyList<bool[]> objects)
    {
        var (dense, regions) = Densify(superpixels);
        var regionSize = new long[regions];
        foreach (var l in dense) regionSize[l]++;
        var result = new double[objects.Count];
        var inter = new long[regions];
        for (int i = 0; i < objects.Count; i++)
        {
            var mask = objects[i];
            if (mask.Length != dense.Length) throw new ArgumentException($"object {i} has {mask.Length} pixels, the label map {dense.Length}");
            Array.Clear(inter);
            long area = 0;
            for (int p = 0; p < mask.Length; p++)
                if (mask[p]) { inter[dense[p]]++; area++; }
            double best = 0;
            for (int s = 0; s < regions; s++)
                if (inter[s] > 0) best = Math.Max(best, (double)inter[s] / (regionSize[s] + area - inter[s]));
            result[i] = best;
        }
        return result;
    }

    /// <summary>Pixels with a 4-neighbour of another label.</summary>
    public static bool[] Boundaries(int[] labels, int height, int width)
    {
        if (labels.Length != height * width) throw new ArgumentException("label map size does not match height × width");
        var b = new bool[labels.Length];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int p = y * width + x, l = labels[p];
                if (x + 1 < width && labels[p + 1] != l) { b[p] = true; b[p + 1] = true; }
                if (y + 1 < height && labels[p + width] != l) { b[p] = true; b[p + width] = true; }
            }
        return b;
    }

    // Square dilation by r (separable: rows, then columns).
    static bool[] Dilate(bool[] mask, int height, int width, int r)
    {
        if (r == 0) return mask;
        var rows = new bool[mask.Length];
        for (int y = 0; y < height; y++)
        {
            int last = int.MinValue / 2;   // column of the last set pixel seen scanning right, then left
            for (int x = 0; x < width; x++) { if (mask[y * width + x]) last = x; if (x - last <= r) rows[y * width + x] = true; }
            last = int.MaxValue / 2;
            for (int x = width - 1; x >= 0; x--) { if (mask[y * width + x]) last = x; if (last - x <= r) rows[y * width + x] = true; }
        }
        var result = new bool[mask.Length];
        for (int x = 0; x < width; x++)
        {
            int last = int.MinValue / 2;
            for (int y = 0; y < height; y++) { if (rows[y * width + x]) last = y; if (y - last <= r) result[y * width + x] = true; }
            last = int.MaxValue / 2;
            for (int y = height - 1; y >= 0; y--) { if (rows[y * width + x]) last = y; if (last - y <= r) result[y * width + x] = true; }
        }
        return result;
    }

    static (int[] Dense, int Count) Densify(int[] labels)
    {
        var ids = new Dictionary<int, int>();
        var dense = new int[labels.Length];
        for (int p = 0; p < labels.Length; p++)
        {
            if (labels[p] < 0) throw new ArgumentException("labels must be non-negative");
            if (!ids.TryGetValue(labels[p], out int id)) ids[labels[p]] = id = ids.Count;
            dense[p] = id;
        }
        return (dense, ids.Count);
    }

    /// <summary>Pixel counts of every (superpixel, ground-truth segment) pair.</summary>
    sealed class Contingency
    {
        readonly Dictionary<long, long> _counts = [];
        readonly long[] _rowSum;
        public int Rows { get; }
        public int Columns { get; }

        Contingency(int rows, int columns) { Rows = rows; Columns = columns; _rowSum = new long[rows]; }

        public long this[int s, int g] => _counts.TryGetValue((long)s * Columns + g, out var c) ? c : 0;
        public long RowSum(int s) => _rowSum[s];
        public long RowMax(int s)
        {
            long m = 0;
            for (int g = 0; g < Columns; g++) m = Math.Max(m, this[s, g]);
            return m;
        }

        public static Contingency Of(int[] superpixels, int[] groundTruth)
        {
            if (superpixels.Length != groundTruth.Length) throw new ArgumentException("superpixel and ground-truth maps differ in size");
            var (sp, rows) = Densify(superpixels);
            var (gt, columns) = Densify(groundTruth);
            var table = new Contingency(rows, columns);
            for (int p = 0; p < sp.Length; p++)
            {
                long key = (long)sp[p] * columns + gt[p];
                table._counts[key] = table._counts.GetValueOrDefault(key) + 1;
                table._rowSum[sp[p]]++;
            }
            return table;
        }
    }
}
