namespace VisualWords.Superpixels;

/// <summary>Where a region's pixels came from.</summary>
public enum RegionSource
{
    /// <summary>A SAM mask of the coarsest level (the whole object).</summary>
    Whole = 0,
    /// <summary>A SAM mask of the middle level (a part).</summary>
    Part = 1,
    /// <summary>A SAM mask of the finest level (a sub-part).</summary>
    SubPart = 2,
    /// <summary>A connected component of pixels that no kept mask covers.</summary>
    Uncovered = 3,
    /// <summary>A cell of the regular-grid baseline.</summary>
    GridCell = 4,
    /// <summary>A SLIC superpixel.</summary>
    Slic = 5,
}

/// <summary>
/// One superpixel. Box is the exact pixel extent in XYWH (W = columns spanned, so a single pixel has
/// W = H = 1); the centroid is the mean of the pixel indices (x, y). <see cref="MaskIndex"/> is the
/// generator mask a semantic region came from (−1 for uncovered pixels and the baselines); a region
/// that absorbed small neighbours keeps its own source and mask.
/// </summary>
public sealed record SuperpixelRegion(
    int Id, long Area, int X, int Y, int W, int H, double CentroidX, double CentroidY, RegionSource Source, int MaskIndex);
