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
        return PilBilinear.Resize(image, w, h);
    }

    /// <summary>Scales an (x, y) point from original pixels to the resized frame (in double, as numpy does).</summary>
    public static (double X, double Y) ApplyCoords(double x, double y, (int H, int W) originalSize, int longSide)
    {
        var (newH, newW) = GetPreprocessShape(originalSize.H, originalSize.W, longSide);
        return (x * ((double)newW / originalSize.W), y * ((double)newH / originalSize.H));
    }
}

/// <summary>PIL's Image.resize(..., BILINEAR) for 8-bit RGB, reimplemented from its documented algorithm.</summary>
public static class PilBilinear
{
    const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Per output pixel: first input index, tap count, and fixed-point weights (stride KSize).</summary>
    sealed record Coefficients(int[] Start, int[] Count, int[] Weights, int KSize);

    static Coefficients Precompute(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = 1.0 * filterScale;  // the triangle filter's support is 1
        int ksize = (int)Math.Ceiling(support) * 2 + 1;
        var start = new int[outSize];
        var count = new int[outSize];
        var weights = new int[outSize * ksize];
        var k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = Math.Max((int)(center - support + 0.5), 0);
            int xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            double ww = 0;
            for (int x = 0; x < xmax; x++)
            {
                double t = Math.Abs((x + xmin - center + 0.5) * ss);
                k[x] = t < 1.0 ? 1.0 - t : 0.0;
                ww += k[x];
            }
            for (int x = 0; x < xmax; x++)
            {
                double w = ww != 0.0 ? k[x] / ww : k[x];
                weights[xx * ksize + x] = w < 0 ? (int)(-0.5 + w * (1 << PrecisionBits)) : (int)(0.5 + w * (1 << PrecisionBits));
            }
            start[xx] = xmin;
            count[xx] = xmax;
        }
        return new Coefficients(start, count, weights, ksize);
    }

    static byte Clip8(int v) => v >= (256 << PrecisionBits) ? (byte)255 : v <= 0 ? (byte)0 : (byte)(v >> PrecisionBits);

    public static RgbImage Resize(RgbImage src, int outW, int outH)
    {
        if (outW <= 0 || outH <= 0) throw new BadInputException($"cannot resize to {outW}x{outH}");
        if (outW == src.Width && outH == src.Height) return new RgbImage(src.Width, src.Height, (byte[])src.Pixels.Clone());
        int inW = src.Width, inH = src.Height;
        const int half = 1 << (PrecisionBits - 1);

        // Horizontal pass into an 8-bit intermediate (inH x outW), as PIL does.
        var ch = Precompute(inW, outW);
        var tmp = new byte[inH * outW * 3];
        var inPx = src.Pixels;
        Parallel.For(0, inH, y =>
        {
            int rowIn = y * inW * 3, rowOut = y * outW * 3;
            for (int xx = 0; xx < outW; xx++)
            {
                int s0 = half, s1 = half, s2 = half, b = ch.Start[xx], wOff = xx * ch.KSize;
                for (int x = 0; x < ch.Count[xx]; x++)
                {
                    int w = ch.Weights[wOff + x], p = rowIn + (b + x) * 3;
                    s0 += inPx[p] * w; s1 += inPx[p + 1] * w; s2 += inPx[p + 2] * w;
                }
                int o = rowOut + xx * 3;
                tmp[o] = Clip8(s0); tmp[o + 1] = Clip8(s1); tmp[o + 2] = Clip8(s2);
            }
        });

        // Vertical pass.
        var cv = Precompute(inH, outH);
        var outPx = new byte[outH * outW * 3];
        Parallel.For(0, outH, yy =>
        {
            int b = cv.Start[yy], wOff = yy * cv.KSize, n = cv.Count[yy], rowOut = yy * outW * 3;
            for (int i = 0; i < outW * 3; i++)
            {
                int s = half;
                for (int y = 0; y < n; y++) s += tmp[(b + y) * outW * 3 + i] * cv.Weights[wOff + y];
                outPx[rowOut + i] = Clip8(s);
            }
        });
        return new RgbImage(outW, outH, outPx);
    }
}
