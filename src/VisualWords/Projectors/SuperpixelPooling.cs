using static TorchSharp.torch;

namespace VisualWords.Projectors;

/// <summary>
/// Area weights of superpixels over patches, computed at pixel resolution: weight[r, p] = pixels
/// of region r inside patch p / pixels of region r. A region smaller than a patch still gets a
/// row (all its weight on the patches it touches), and every row sums to 1.
/// </summary>
public static class SuperpixelPooling
{
    /// <summary>
    /// Checks a label map (2-D, integer, labels 0..R-1 each used at least once) and returns it as
    /// int64 together with R.
    /// </summary>
    public static (Tensor Labels, int Regions) CheckLabels(Tensor labels)
    {
        if (labels.dim() != 2 || labels.numel() == 0)
            throw new BadInputException($"a superpixel label map must be a non-empty H x W tensor, got [{string.Join(", ", labels.shape)}]");
        if (labels.is_floating_point() || labels.dtype == ScalarType.Bool)
            throw new BadInputException($"a superpixel label map must hold integer labels, got {labels.dtype}");
        using var scope = NewDisposeScope();
        var l = labels.to(int64);
        var min = l.min().item<long>();
        var max = l.max().item<long>();
        if (min < 0) throw new BadInputException($"superpixel labels must be 0..R-1, found {min}");
        if (max >= int.MaxValue) throw new BadInputException($"superpixel label {max} is too large");
        var used = l.flatten().bincount(null, max + 1);
        var empty = used.eq(0).nonzero();
        if (empty.shape[0] > 0)
            throw new BadInputException(
                $"superpixel labels must be 0..R-1 without gaps: label {empty[0, 0].item<long>()} of 0..{max} has no pixels");
        return (scope.MoveToOuter(l), (int)max + 1);
    }

    /// <summary>
    /// Pixel counts per (region, patch): R x (h·w) int64. Pixel (y, x) of an H x W map falls in
    /// patch (⌊y·h/H⌋, ⌊x·w/W⌋), i.e. the label map covers exactly the frame the tower saw.
    /// </summary>
    public static Tensor PixelCounts(Tensor labels, int regions, int gridHeight, int gridWidth)
    {
        using var scope = NewDisposeScope();
        var (h, w) = (labels.shape[0], labels.shape[1]);
        var dev = labels.device;
        var rowPatch = arange(h, dtype: int64, device: dev).mul(gridHeight).div(h, rounding_mode: RoundingMode.floor);
        var colPatch = arange(w, dtype: int64, device: dev).mul(gridWidth).div(w, rounding_mode: RoundingMode.floor);
        var patch = rowPatch.unsqueeze(1) * gridWidth + colPatch.unsqueeze(0);
        long cells = (long)gridHeight * gridWidth;
        var counts = (labels * cells + patch).flatten().bincount(null, regions * cells);
        return scope.MoveToOuter(counts.view(regions, cells));
    }

    /// <summary>R x (h·w) float32 pooling weights; rows sum to 1.</summary>
    public static Tensor Weights(Tensor pixelCounts)
    {
        using var scope = NewDisposeScope();
        var counts = pixelCounts.to(float32);
        return scope.MoveToOuter(counts / counts.sum(1, keepdim: true));
    }
}
