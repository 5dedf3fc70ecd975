namespace VisualWords.Imaging;

/// <summary>Cheap whole-image statistics that tell a synthetic flat-colour scene from a photograph.</summary>
public static class ImageStatistics
{
    /// <summary>
    /// Fraction of pixels whose colour (5 bits per channel) is one of the <paramref name="topColours"/>
    /// most frequent: near 1 for flat-filled scenes (ShapesWorld, diagrams), far below for photos.
    /// </summary>
    public static double FlatColourFraction(RgbImage img, int topColours = 32)
    {
        var counts = new int[32 * 32 * 32];
        var p = img.Pixels;
        for (int i = 0; i < p.Length; i += 3) counts[((p[i] >> 3) << 10) | ((p[i + 1] >> 3) << 5) | (p[i + 2] >> 3)]++;
        Array.Sort(counts);
        long top = 0;
        for (int i = counts.Length - 1; i >= Math.Max(0, counts.Length - topColours); i--) top += counts[i];
        return (double)top / ((long)img.Width * img.Height);
    }
}
