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
    /// Decodes at a reduced size when the codec can (JPEG decodes at 1/2, 1/4, 1/8 natively): the
    /// smallest size whose longer side is still at least <paramref name="minLongSide"/> (0 = full size).
    /// Returns the image and the upright size of the full image, which outputs keep.
    /// </summary>
    public static (RgbImage Image, int FullWidth, int FullHeight) Load(string path, int minLongSide, long maxPixels = DefaultMaxPixels)
    {
        if (Directory.Exists(path)) throw new BadInputException($"{path} is a folder, not an image");
        if (!File.Exists(path)) throw new BadInputException($"image not found: {path}");
        return Decode(File.ReadAllBytes(path), Path.GetFileName(path), minLongSide, maxPixels);
    }

    public static RgbImage Decode(byte[] data, string what = "image", long maxPixels = DefaultMaxPixels) => Decode(data, what, 0, maxPixels).Image;

    public static (RgbImage Image, int FullWidth, int FullHeight) Decode(byte[] data, string what, int minLongSide, long maxPixels = DefaultMaxPixels)
    {
        using var stream = new SKMemoryStream(data);
        using var codec = SKCodec.Create(stream, out var result)
            ?? throw new BadInputException($"{what}: not a supported image (JPEG, PNG, WebP, BMP, GIF): {Describe(result)}");
        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0) throw new BadInputException($"{what}: image has no pixels");
        long pixels = (long)info.Width * info.Height;
        if (pixels > maxPixels)
            throw new BadInputException($"{what}: {info.Width}x{info.Height} = {pixels / 1e6:F1} megapixels exceeds the limit of {maxPixels / 1e6:F1} megapixels");
        var size = DecodeSize(codec, minLongSide);
        var target = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(target);
        if (bitmap.GetPixels() == IntPtr.Zero) throw new BadInputException($"{what}: {size.Width}x{size.Height} is too large to allocate");
        var r = codec.GetPixels(target, bitmap.GetPixels());
        if (r is not (SKCodecResult.Success))
            throw new BadInputException($"{what}: could not decode the image: {Describe(r)}");
        var rgba = bitmap.GetPixelSpan();
        long n = (long)size.Width * size.Height;
        var rgb = new byte[n * 3];
        for (long i = 0, j = 0; i < n; i++, j += 4)
        {
            rgb[i * 3] = rgba[(int)j];
            rgb[i * 3 + 1] = rgba[(int)j + 1];
            rgb[i * 3 + 2] = rgba[(int)j + 2];
        }
        var upright = Orient(new RgbImage(size.Width, size.Height, rgb), codec.EncodedOrigin);
        bool swap = IsTransposing(codec.EncodedOrigin);
        return (upright, swap ? info.Height : info.Width, swap ? info.Width : info.Height);
    }

    static bool IsTransposing(SKEncodedOrigin o) =>
        o is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    /// <summary>The smallest size the codec decodes to natively whose longer side is at least <paramref name="minLongSide"/>.</summary>
    static SKSizeI DecodeSize(SKCodec codec, int minLongSide)
    {
        var full = codec.Info.Size;
        int longSide = Math.Max(full.Width, full.Height);
        if (minLongSide <= 0 || minLongSide >= longSide) return full;
        var scaled = codec.GetScaledDimensions((float)minLongSide / longSide);
        return Math.Max(scaled.Width, scaled.Height) >= minLongSide && scaled.Width > 0 && scaled.Height > 0 ? scaled : full;
    }

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

    public static void WritePng(RgbImage img, Stream output)
    {
        var rgba = new byte[img.Width * img.Height * 4];
        for (int i = 0, j = 0; i < img.Pixels.Length; i += 3, j += 4)
        {
            rgba[j] = img.Pixels[i];
            rgba[j + 1] = img.Pixels[i + 1];
            rgba[j + 2] = img.Pixels[i + 2];
            rgba[j + 3] = 255;
        }
        Encode(new SKImageInfo(img.Width, img.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul), rgba, output);
    }

    /// <summary>Writes a single-channel PNG: 255 where <paramref name="mask"/> is true, else 0.</summary>
    public static void WriteMaskPng(bool[] mask, int width, int height, Stream output)
    {
        if (mask.Length != width * height) throw new ArgumentException("mask size does not match width x height");
        var gray = new byte[mask.Length];
        for (int i = 0; i < mask.Length; i++) gray[i] = mask[i] ? (byte)255 : (byte)0;
        Encode(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque), gray, output);
    }

    /// <summary>Reads a mask PNG (any non-zero gray value is foreground).</summary>
    public static (bool[] Mask, int Width, int Height) LoadMaskPng(string path)
    {
        var img = Load(path);
        var m = new bool[img.Width * img.Height];
        for (int i = 0; i < m.Length; i++) m[i] = img.Pixels[i * 3] > 127;
        return (m, img.Width, img.Height);
    }

    static void Encode(SKImageInfo info, byte[] pixels, Stream output)
    {
        using var bmp = new SKBitmap(info);
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bmp.GetPixels(), pixels.Length);
        using var image = SKImage.FromBitmap(bmp);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new IOException($"could not encode a {info.Width}x{info.Height} PNG");
        data.SaveTo(output);
    }
}
