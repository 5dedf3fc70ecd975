namespace VisualWords.Imaging;

/// <summary>The PIL resampling filters we need (PIL's support and kernel for each).</summary>
public enum PilFilter { Bilinear, Bicubic }

/// <summary>
/// PIL's Image.resize for 8-bit RGB, reimplemented from its documented algorithm: a separable
/// filter whose support widens with the scale when downscaling (antialiasing), 8-bit fixed-point
/// weights, and an 8-bit intermediate between the horizontal and vertical passes. Bilinear is
/// SAM's resize; bicubic (a = -0.5) is CLIPImageProcessor's.
/// </summary>
public static class PilResample
{
    const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Per output pixel: first input index, tap count, and fixed-point weights (stride KSize).</summary>
    sealed record Coefficients(int[] Start, int[] Count, int[] Weights, int KSize);

    static double Bilinear(double x)
    {
        x = Math.Abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    static double Bicubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    static Coefficients Precompute(int inSize, int outSize, PilFilter filter)
    {
        Func<double, double> kernel = filter == PilFilter.Bicubic ? Bicubic : Bilinear;
        double filterSupport = filter == PilFilter.Bicubic ? 2.0 : 1.0;
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = filterSupport * filterScale;
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
                k[x] = kernel((x + xmin - center + 0.5) * ss);
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

    public static RgbImage Resize(RgbImage src, int outW, int outH, PilFilter filter = PilFilter.Bilinear)
    {
        if (outW <= 0 || outH <= 0) throw new BadInputException($"cannot resize to {outW}x{outH}");
        if (outW == src.Width && outH == src.Height) return new RgbImage(src.Width, src.Height, (byte[])src.Pixels.Clone());
        int inW = src.Width, inH = src.Height;
        const int half = 1 << (PrecisionBits - 1);

        // Horizontal pass into an 8-bit intermediate (inH x outW), as PIL does.
        var ch = Precompute(inW, outW, filter);
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
        var cv = Precompute(inH, outH, filter);
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

    /// <summary>
    /// HF CLIPImageProcessor's geometry (LLaVA v1 / LISA): bicubic resize of the shortest side to
    /// <paramref name="size"/> (the other side truncated), then a centred size x size crop.
    /// </summary>
    public static RgbImage ShortestSideCenterCrop(RgbImage src, int size)
    {
        if (size <= 0) throw new BadInputException($"crop size must be positive (got {size})");
        bool wide = src.Width >= src.Height;
        int shortSide = wide ? src.Height : src.Width, longSide = wide ? src.Width : src.Height;
        int newLong = (int)((long)size * longSide / shortSide);
        var resized = wide ? Resize(src, newLong, size, PilFilter.Bicubic) : Resize(src, size, newLong, PilFilter.Bicubic);
        int top = (resized.Height - size) / 2, left = (resized.Width - size) / 2;
        var px = new byte[size * size * 3];
        for (int y = 0; y < size; y++)
            Array.Copy(resized.Pixels, ((top + y) * resized.Width + left) * 3, px, y * size * 3, size * 3);
        return new RgbImage(size, size, px);
    }
}
