using static TorchSharp.torch;

namespace VisualWords.Sam.Amg;

/// <summary>
/// The point prompts of everything mode: a regular grid over the unit square, one grid per crop layer.
/// Grids are float64 like the reference (NumPy) so that scaled coordinates agree to the last bit.
/// </summary>
public static class PointGrids
{
    /// <summary>
    /// <paramref name="nPerSide"/>² points at the centres of an n×n tiling of [0,1]², row-major
    /// (x varies fastest), as float64 [n*n, 2] in (x, y) order.
    /// </summary>
    public static Tensor BuildPointGrid(int nPerSide)
    {
        if (nPerSide < 1) throw new BadInputException($"points per side must be at least 1 (got {nPerSide})");
        using var scope = NewDisposeScope();
        double offset = 1.0 / (2 * nPerSide);
        // NumPy's linspace exactly (start + i·step, last point = stop), so coordinates match the reference bit for bit.
        var values = new double[nPerSide];
        double step = nPerSide > 1 ? (1 - 2 * offset) / (nPerSide - 1) : 0;
        for (int i = 0; i < nPerSide; i++) values[i] = i * step + offset;
        if (nPerSide > 1) values[^1] = 1 - offset;
        var side = tensor(values);
        var xs = side.unsqueeze(0).expand(nPerSide, nPerSide);
        var ys = side.unsqueeze(1).expand(nPerSide, nPerSide);
        var grid = stack([xs, ys], dim: -1).reshape(-1, 2).contiguous();
        return scope.MoveToOuter(grid);
    }

    /// <summary>
    /// One grid per crop layer 0..<paramref name="nLayers"/>: layer i has
    /// floor(n / scalePerLayer^i) points per side (the deeper layers see smaller crops).
    /// </summary>
    public static List<Tensor> BuildAllLayerPointGrids(int nPerSide, int nLayers, int scalePerLayer)
    {
        if (nLayers < 0) throw new BadInputException($"crop layers must be >= 0 (got {nLayers})");
        if (scalePerLayer < 1) throw new BadInputException($"crop_n_points_downscale_factor must be >= 1 (got {scalePerLayer})");
        var grids = new List<Tensor>();
        for (int i = 0; i <= nLayers; i++)
        {
            int n = (int)(nPerSide / Math.Pow(scalePerLayer, i));
            grids.Add(BuildPointGrid(n));
        }
        return grids;
    }
}
