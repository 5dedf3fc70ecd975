using SkiaSharp;

namespace VisualWords.Imaging;

/// <summary>
/// Decoding and encoding through SkiaSharp. Every decoded image becomes RGB8 with its EXIF
/// orientation applied (as PIL's <c>ImageOps.exif_transpose</c> would); alpha is dropped, as
/// <c>Image.convert("RGB")</c> does. The pixel limit is checked from the header, before decoding.
/// </summary>
public static class ImageIO
{
    public const long DefaultMaxPixels = 50_000_000;

    public static RgbImage Load(string path, long maxPixels = DefaultMaxPixels) => Load(path, 0, maxPixels).Image;

    /// <summary>
    /// Decodes reduced by the largest integer factor whose longer side is still at least
    /// <paramref name="minLongSide"/> (0 = full size), averaging blocks. Returns the image and the
    /// upright size of the full image, which outputs keep.
    /// </summary>
    public static (RgbImage Image, int FullWidth, int FullHeight) Load(string path, int minLongSide, long maxPixels = DefaultMaxPixels)
    {
        CheckFile(path);
        return Decode(File.ReadAllBytes(path), Path.GetFileName(path), minLongSide, maxPixels);
    }

    /// <summary>Fails with a clear message when <paramref name="path"/> is a folder or does not exist (before any expensive work).</summary>
    public static void CheckFile(string path)
    {
        if (Directory.Exists(path)) throw new BadInputException($"{path} is a folder, not an image");
        if (!File.Exists(path)) throw new BadInputException($"image not found: {path}");
    }

    public static RgbImage Decode(byte[] data, string what = "image", long maxPixels = DefaultMaxPixels) => Decode(data, what, 0, maxPixels).Image;

    public static (RgbImage Image, int FullWidth, int FullHeight) Decode(byte[] data, string what, int minLongSide, long maxPixels = DefaultMaxPixels)
    {
        using var stream = new SKMemoryStream(data);
        using var codec = SKCodec.Create(stream, out var result)
            ?? throw new UnsupportedImageException($"{what}: not a supported image (JPEG, PNG, WebP, BMP, GIF): {Describe(result)}");
        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0) throw new BadInputException($"{what}: image has no pixels");
        long pixels = (long)info.Width * info.Height;
        if (pixels > maxPixels)
            throw new ImageTooLargeException($"{what}: {info.Width}x{info.Height} = {pixels / 1e6:F1} megapixels exceeds the limit of {maxPixels / 1e6:F1} megapixels");
        var target = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(target);
        if (bitmap.GetPixels() == IntPtr.Zero) throw new BadInputException($"{what}: {info.Width}x{info.Height} is too large to allocate");
        var r = codec.GetPixels(target, bitmap.GetPixels());
        if (r is not (SKCodecResult.Success))
            throw new BadInputException($"{what}: could not decode the image: {Describe(r)}");
        int factor = ReductionFactor(Math.Max(info.Width, info.Height), minLongSide);
        var reduced = BoxReduce(bitmap.GetPixelSpan(), info.Width, info.Height, factor);
        bool swap = IsTransposing(codec.EncodedOrigin);
        return (Orient(reduced, codec.EncodedOrigin), swap ? info.Height : info.Width, swap ? info.Width : info.Height);
    }

    /// <summary>The largest integer factor that keeps the longer side at least <paramref name="minLongSide"/> (1 = full size).</summary>
    static int ReductionFactor(int longSide, int minLongSide) => minLongSide <= 0 ? 1 : Math.Max(1, longSide / minLongSide);

    /// <summary>
    /// RGBA → RGB, averaging factor×factor blocks (edge blocks average what they cover). Skia's own
    /// scaled JPEG decode (SKCodec.GetScaledDimensions / GetPixels at a smaller size) crashes the
    /// process in SkiaSharp 2.88.6 on Linux (not re-tried with 3.119), so the reduction happens right
    /// after a full decode.
    /// </summary>
    static RgbImage BoxReduce(ReadOnlySpan<byte> rgba, int width, int height, int factor)
    {
        int w = (width + factor - 1) / factor, h = (height + factor - 1) / factor;
        var rgb = new byte[(long)w * h * 3];
        if (factor == 1)
        {
            for (long i = 0, j = 0; i < (long)w * h; i++, j += 4)
            {
                rgb[i * 3] = rgba[(int)j];
                rgb[i * 3 + 1] = rgba[(int)j + 1];
                rgb[i * 3 + 2] = rgba[(int)j + 2];
            }
            return new RgbImage(w, h, rgb);
        }
        var sums = new int[w * 3];
        var counts = new int[w];
        for (int by = 0; by < h; by++)
        {
            Array.Clear(sums);
            Array.Clear(counts);
            for (int y = by * factor; y < Math.Min(height, (by + 1) * factor); y++)
            {
                int row = y * width * 4;
                for (int x = 0; x < width; x++)
                {
                    int bx = x / factor, p = row + x * 4;
                    sums[bx * 3] += rgba[p];
                    sums[bx * 3 + 1] += rgba[p + 1];
                    sums[bx * 3 + 2] += rgba[p + 2];
                    counts[bx]++;
                }
            }
            for (int bx = 0; bx < w; bx++)
                for (int c = 0; c < 3; c++)
                    rgb[((long)by * w + bx) * 3 + c] = (byte)((sums[bx * 3 + c] + counts[bx] / 2) / counts[bx]);
        }
        return new RgbImage(w, h, rgb);
    }

    static bool IsTransposing(SKEncodedOrigin o) =>
        o is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    static string Describe(SKCodecResult r) => r switch
    {
        SKCodecResult.IncompleteInput => "the file is truncated",
        SKCodecResult.ErrorInInput => "the file is corrupt",
        SKCodecResult.Unimplemented => "unsupported encoding",
        _ => r.ToString(),
    };

    /// <summary>Applies an EXIF orientation so the result is upright (TopLeft).</summary>
    public static RgbImage Orient(RgbImage img, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft) return img;
        bool swap = IsTransposing(origin);
        int w = swap ? img.Height : img.Width, h = swap ? img.Width : img.Height;
        var dst = new byte[img.Pixels.Length];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            // (sx, sy): where the upright pixel (x, y) is stored in the encoded image.
            var (sx, sy) = origin switch
            {
                SKEncodedOrigin.TopRight => (img.Width - 1 - x, y),
                SKEncodedOrigin.BottomRight => (img.Width - 1 - x, img.Height - 1 - y),
                SKEncodedOrigin.BottomLeft => (x, img.Height - 1 - y),
                SKEncodedOrigin.LeftTop => (y, x),
                SKEncodedOrigin.RightTop => (y, img.Height - 1 - x),
                SKEncodedOrigin.RightBottom => (img.Width - 1 - y, img.Height - 1 - x),
                SKEncodedOrigin.LeftBottom => (img.Width - 1 - y, x),
                _ => (x, y),
            };
            Buffer.BlockCopy(img.Pixels, (sy * img.Width + sx) * 3, dst, (y * w + x) * 3, 3);
        }
        return new RgbImage(w, h, dst);
    }

    public static void SavePng(RgbImage img, string path) => AtomicFile.Write(path, s => WritePng(img, s));

    /// <summary>Writes a single-channel PNG atomically: 255 where <paramref name="mask"/> is true, else 0.</summary>
    public static void SaveMaskPng(bool[] mask, int width, int height, string path) =>
        AtomicFile.Write(path, s => WriteMaskPng(mask, width, height, s));

    public static void WritePng(RgbImage img, Stream output) => output.Write(EncodePng(img));

    /// <summary>Writes a single-channel PNG: 255 where <paramref name="mask"/> is true, else 0.</summary>
    public static void WriteMaskPng(bool[] mask, int width, int height, Stream output) => output.Write(EncodeMaskPng(mask, width, height));

    /// <summary>The PNG file bytes of an RGB image.</summary>
    public static byte[] EncodePng(RgbImage img)
    {
        var rgba = new byte[img.Width * img.Height * 4];
        for (int i = 0, j = 0; i < img.Pixels.Length; i += 3, j += 4)
        {
            rgba[j] = img.Pixels[i];
            rgba[j + 1] = img.Pixels[i + 1];
            rgba[j + 2] = img.Pixels[i + 2];
            rgba[j + 3] = 255;
        }
        return Encode(new SKImageInfo(img.Width, img.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul), rgba);
    }

    /// <summary>The bytes of a single-channel mask PNG: 255 where <paramref name="mask"/> is true, else 0.</summary>
    public static byte[] EncodeMaskPng(bool[] mask, int width, int height)
    {
        if (mask.Length != width * height) throw new ArgumentException("mask size does not match width x height");
        var gray = new byte[mask.Length];
        for (int i = 0; i < mask.Length; i++) gray[i] = mask[i] ? (byte)255 : (byte)0;
        return Encode(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque), gray);
    }

    /// <summary>Reads a mask PNG (any non-zero gray value is foreground).</summary>
    public static (bool[] Mask, int Width, int Height) LoadMaskPng(string path)
    {
        var img = Load(path);
        var m = new bool[img.Width * img.Height];
        for (int i = 0; i < m.Length; i++) m[i] = img.Pixels[i * 3] > 127;
        return (m, img.Width, img.Height);
    }

    static byte[] Encode(SKImageInfo info, byte[] pixels)
    {
        using var bmp = new SKBitmap(info);
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bmp.GetPixels(), pixels.Length);
        using var image = SKImage.FromBitmap(bmp);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new IOException($"could not encode a {info.Width}x{info.Height} image as PNG");
        return data.ToArray();
    }
}
