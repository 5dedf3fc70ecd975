using static TorchSharp.torch;

namespace VisualWords.Projectors;

/// <summary>
/// Area weights of superpixels over patches, computed at pixel resolution: weight[r, p] = pixels
/// of region r inside patch p / pixels of region r. A region smaller than a patch still gets a
/// row (all its weight on the patches it touches), and every row sums to 1. Pixels labelled
/// <see cref="Ignore"/> (-1) belong to no superpixel: padding added to fit the tower's frame, or
/// pixels the superpixel stage left unassigned.
/// </summary>
public static class SuperpixelPooling
{
    /// <summary>
    /// More superpixels than this is not a superpixel map (a per-pixel labelling, say): the tokens
    /// would not fit an LLM context and the R x (h·w) tables would not fit memory.
    /// </summary>
    public const int MaxRegions = 4096;

    /// <summary>The label of pixels that are in no superpixel.</summary>
    public const long Ignore = -1;

    /// <summary>
    /// Checks a label map (2-D, integer, labels 0..R-1 each used at least once, -1 = no superpixel)
    /// and returns it as int64 together with R.
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
        if (min < Ignore) throw new BadInputException($"superpixel labels must be 0..R-1 (or -1 for no superpixel), found {min}");
        if (max < 0) throw new BadInputException("the superpixel label map has no superpixels (every pixel is -1)");
        if (max >= MaxRegions)
            throw new BadInputException($"superpixel label {max} found: at most {MaxRegions} superpixels per image are supported");
        var used = (l + 1).flatten().bincount(null, max + 2)[1..];
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
        return scope.MoveToOuter(CountPerRegion(labels, patch, (long)gridHeight * gridWidth, regions));
    }

    /// <summary>
    /// R x bins int64 table: how many pixels of each region fall in each bin (bin: H x W int64 in
    /// 0..bins-1). One bincount over label·bins + bin; ignored pixels go to a discarded extra row.
    /// </summary>
    public static Tensor CountPerRegion(Tensor labels, Tensor bin, long bins, int regions)
    {
        using var scope = NewDisposeScope();
        var index = where(labels.ge(0), labels * bins + bin, regions * bins);
        var counts = index.flatten().bincount(null, (regions + 1) * bins)[..(int)(regions * bins)];
        return scope.MoveToOuter(counts.view(regions, bins));
    }

    /// <summary>R x (h·w) float32 pooling weights; rows sum to 1.</summary>
    public static Tensor Weights(Tensor pixelCounts)
    {
        using var scope = NewDisposeScope();
        var counts = pixelCounts.to(float32);
        return scope.MoveToOuter(counts / counts.sum(1, keepdim: true));
    }
}
