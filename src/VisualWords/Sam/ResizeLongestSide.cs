using VisualWords.Imaging;

namespace VisualWords.Sam;

/// <summary>
/// SAM's input transform: resize so the longest side is the model size, and move prompt
/// coordinates into that frame. The official code resizes through PIL, whose bilinear filter
/// widens with the scale when downscaling (antialiasing) and works in 8-bit fixed point with an
/// 8-bit intermediate between its horizontal and vertical passes; <see cref="PilBilinear"/>
/// reproduces that byte for byte, so the encoder sees exactly the official input.
/// </summary>
public static class ResizeLongestSide
{
    /// <summary>(H, W) after scaling the longest side to <paramref name="longSide"/>, rounded half up.</summary>
    public static (int H, int W) GetPreprocessShape(int oldH, int oldW, int longSide)
    {
        double scale = longSide * 1.0 / Math.Max(oldH, oldW);
        return ((int)(oldH * scale + 0.5), (int)(oldW * scale + 0.5));
    }

    public static RgbImage ApplyImage(RgbImage image, int longSide)
    {
        var (h, w) = GetPreprocessShape(image.Height, image.Width, longSide);
        if (h == 0 || w == 0)
        {
            int ratio = Math.Max(image.Width, image.Height) / Math.Min(image.Width, image.Height);
            throw new BadInputException($"the image is too thin (one side is {ratio} times the other): at the model's {longSide} px " +
                $"its shorter side would be 0 px; the sides may differ by a factor of at most {2 * longSide - 1}");
        }
        return PilBilinear.Resize(image, w, h);
    }

    /// <summary>Scales an (x, y) point from original pixels to the resized frame (in double, as numpy does).</summary>
    public static (double X, double Y) ApplyCoords(double x, double y, (int H, int W) originalSize, int longSide)
    {
        var (newH, newW) = GetPreprocessShape(originalSize.H, originalSize.W, longSide);
        return (x * ((double)newW / originalSize.W), y * ((double)newH / originalSize.H));
    }
}

/// <summary>PIL's Image.resize(..., BILINEAR) for 8-bit RGB (see <see cref="PilResample"/>).</summary>
public static class PilBilinear
{
    public static RgbImage Resize(RgbImage src, int outW, int outH) => PilResample.Resize(src, outW, outH, PilFilter.Bilinear);
}
