namespace VisualWords.Sam.Amg;

/// <summary>
/// The prompt schedule of fast everything mode: the n × n grid is visited as nested lattices, coarse
/// first (every <c>stride</c>-th point, centred), then every (stride/2)-th, … down to every point. Each
/// grid point belongs to exactly one level (the first lattice that holds it), so no point is prompted
/// twice and the union of the levels is the whole grid.
/// </summary>
public static class CoarseToFine
{
    /// <param name="pointsPerSide">n: the grid is row-major with x fastest (<see cref="PointGrids.BuildPointGrid"/>).</param>
    /// <param name="coarseStride">Spacing of the first level in grid points (1 = a single level, the whole grid).</param>
    /// <returns>Per level, the grid indices first visited at that level, ascending.</returns>
    public static List<int[]> Levels(int pointsPerSide, int coarseStride)
    {
        if (pointsPerSide < 1) throw new BadInputException($"points per side must be at least 1 (got {pointsPerSide})");
        if (coarseStride < 1) throw new BadInputException($"coarse stride must be at least 1 (got {coarseStride})");
        var levelOf = new int[pointsPerSide * pointsPerSide];
        Array.Fill(levelOf, -1);
        var strides = new List<int>();
        for (int s = coarseStride; s >= 1; s /= 2) strides.Add(s);
        if (strides[^1] != 1) strides.Add(1);
        for (int level = 0; level < strides.Count; level++)
        {
            int s = strides[level], offset = LatticeOffset(pointsPerSide, s);
            for (int iy = offset; iy < pointsPerSide; iy += s)
                for (int ix = offset; ix < pointsPerSide; ix += s)
                    if (levelOf[iy * pointsPerSide + ix] < 0) levelOf[iy * pointsPerSide + ix] = level;
        }
        return Enumerable.Range(0, strides.Count)
            .Select(l => Enumerable.Range(0, levelOf.Length).Where(i => levelOf[i] == l).ToArray())
            .Where(l => l.Length > 0).ToList();
    }

    /// <summary>
    /// Picks <paramref name="count"/> of the candidate points, each time the one farthest (Euclidean)
    /// from every point prompted before and every point picked so far; ties go to the lower index.
    /// With nothing prompted yet the first pick is candidate 0.
    /// </summary>
    /// <param name="candidates">x, y pairs (interleaved) of the points that may be picked.</param>
    /// <param name="prompted">x, y pairs (interleaved) of the points already prompted.</param>
    /// <returns>Indices into the candidates, in the order picked.</returns>
    public static int[] FarthestFirst(ReadOnlySpan<double> candidates, ReadOnlySpan<double> prompted, int count)
    {
        int n = candidates.Length / 2;
        count = Math.Clamp(count, 0, n);
        var nearest = new double[n];
        Array.Fill(nearest, double.PositiveInfinity);
        for (int p = 0; p < prompted.Length / 2; p++) Shrink(nearest, candidates, prompted[2 * p], prompted[2 * p + 1]);
        var picked = new int[count];
        var taken = new bool[n];
        for (int k = 0; k < count; k++)
        {
            int best = -1;
            for (int i = 0; i < n; i++)
                if (!taken[i] && (best < 0 || nearest[i] > nearest[best])) best = i;
            picked[k] = best;
            taken[best] = true;
            Shrink(nearest, candidates, candidates[2 * best], candidates[2 * best + 1]);
        }
        return picked;
    }

    static void Shrink(double[] nearest, ReadOnlySpan<double> xy, double x, double y)
    {
        for (int i = 0; i < nearest.Length; i++)
        {
            double dx = xy[2 * i] - x, dy = xy[2 * i + 1] - y;
            nearest[i] = Math.Min(nearest[i], dx * dx + dy * dy);
        }
    }

    // Centres the lattice: the unused margins before the first and after the last point differ by at most one.
    static int LatticeOffset(int n, int stride) => stride == 1 ? 0 : (n - 1 - (n - 1) / stride * stride) / 2;
}

/// <summary>
/// Which pixels of a low-res mask frame kept masks already cover; fast everything mode prompts a finer
/// grid point only where nothing covers it yet.
/// </summary>
public sealed class CoverageMap(int height, int width)
{
    readonly bool[] _covered = new bool[height * width];

    public int Height { get; } = height;
    public int Width { get; } = width;

    /// <summary>Marks the true pixels of a row-major Height × Width mask.</summary>
    public void Add(ReadOnlySpan<bool> mask)
    {
        if (mask.Length != _covered.Length) throw new ArgumentException($"mask has {mask.Length} pixels, the map {_covered.Length}");
        for (int p = 0; p < mask.Length; p++) _covered[p] |= mask[p];
    }

    /// <summary>
    /// Whether the pixel holding (x, y) (continuous coordinates of this frame) and every pixel within
    /// <paramref name="margin"/> of it (a (2m+1)² window, clipped to the frame) are covered; a point
    /// outside the frame is not covered.
    /// </summary>
    public bool Covered(double x, double y, int margin = 0)
    {
        int px = (int)Math.Floor(x), py = (int)Math.Floor(y);
        if (px < 0 || py < 0 || px >= Width || py >= Height) return false;
        for (int yy = Math.Max(0, py - margin); yy <= Math.Min(Height - 1, py + margin); yy++)
            for (int xx = Math.Max(0, px - margin); xx <= Math.Min(Width - 1, px + margin); xx++)
                if (!_covered[yy * Width + xx]) return false;
        return true;
    }

    /// <summary>Fraction of the frame covered.</summary>
    public double Fraction => _covered.Length == 0 ? 0 : _covered.Count(v => v) / (double)_covered.Length;
}
