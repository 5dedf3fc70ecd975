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

    public static RgbImage Load(string path, long maxPixels = DefaultMaxPixels)
    {
        if (!File.Exists(path)) throw new BadInputException($"image not found: {path}");
        return Decode(File.ReadAllBytes(path), Path.GetFileName(path), maxPixels);
    }

    public static RgbImage Decode(byte[] data, string what = "image", long maxPixels = DefaultMaxPixels)
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
        var r = codec.GetPixels(target, bitmap.GetPixels());
        if (r is not (SKCodecResult.Success))
            throw new BadInputException($"{what}: could not decode the image: {Describe(r)}");
        var rgba = bitmap.GetPixelSpan();
        var rgb = new byte[pixels * 3];
        for (long i = 0, j = 0; i < pixels; i++, j += 4)
        {
            rgb[i * 3] = rgba[(int)j];
            rgb[i * 3 + 1] = rgba[(int)j + 1];
            rgb[i * 3 + 2] = rgba[(int)j + 2];
        }
        return Orient(new RgbImage(info.Width, info.Height, rgb), codec.EncodedOrigin);
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
        bool swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
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

    public static void SavePng(RgbImage img, string path) => WriteFile(EncodePng(img), path);

    /// <summary>Writes a single-channel PNG: 255 where <paramref name="mask"/> is true, else 0.</summary>
    public static void SaveMaskPng(bool[] mask, int width, int height, string path) => WriteFile(EncodeMaskPng(mask, width, height), path);

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

    static void WriteFile(byte[] bytes, string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        File.WriteAllBytes(path, bytes);
    }
}
