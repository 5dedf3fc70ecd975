using VisualWords.Imaging;

namespace VisualWords.Superpixels;

/// <summary>
/// Splits each region of a label map into its colour-coherent parts: two 4-neighbours stay together
/// when they share a region and no channel differs by more than the tolerance, and each connected
/// part becomes a region (<see cref="ConnectedComponents.SplitRegions"/> with a colour test). A word
/// that holds two touching things of different colours (SAM merged them, or neither had a kept mask
/// and they form one uncovered component) becomes two words; a smooth gradient or noise within the
/// tolerance stays whole. Fragments (antialiased edges, texture) are left to
/// <see cref="RegionMerger"/>'s minimum area, which moves each into the neighbour it shares the
/// longest border with.
/// </summary>
public static class ColourSplit
{
    /// <param name="labels">Row-major label map (any non-negative ints).</param>
    /// <returns>New labels 0..M−1 (raster order of each part's first pixel) and, per new label, the label it came from.</returns>
    public static (int[] Labels, int[] Origin) Split(int[] labels, int height, int width, RgbImage image, int tolerance)
    {
        if (image.Width != width || image.Height != height)
            throw new BadInputException($"the image is {image.Width}x{image.Height}, the label map {width}x{height}");
        var px = image.Pixels;
        var (pieces, count) = ConnectedComponents.SplitRegions(labels, height, width, 4, (a, b) =>
            Math.Abs(px[3 * a] - px[3 * b]) <= tolerance && Math.Abs(px[3 * a + 1] - px[3 * b + 1]) <= tolerance
            && Math.Abs(px[3 * a + 2] - px[3 * b + 2]) <= tolerance);
        var origin = new int[count];
        for (int p = 0; p < pieces.Length; p++) origin[pieces[p]] = labels[p];
        return (pieces, origin);
    }
}
