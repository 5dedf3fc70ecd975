using System.Text.Json;
using VisualWords.Imaging;
using static TorchSharp.torch;

namespace VisualWords.Tests.Imaging;

public class ImageIOTests
{
    static readonly JsonElement Expected =
        JsonDocument.Parse(File.ReadAllText(Fixtures.Path("images", "expected.json"))).RootElement;

    [Theory]
    [InlineData("exif_rot6.jpg", 12)]
    [InlineData("gray.png", 0)]
    [InlineData("palette.png", 0)]
    [InlineData("rgba.png", 0)]
    [InlineData("gray16.png", 1)]
    [InlineData("cmyk.jpg", 12)]
    [InlineData("tiny.webp", 0)]
    [InlineData("tiny.bmp", 0)]
    public void Decodes_like_PIL_with_orientation_applied(string file, int tolerance)
    {
        var img = ImageIO.Load(Fixtures.Path("images", file));
        var e = Expected.GetProperty(file);
        Assert.Equal(e.GetProperty("width").GetInt32(), img.Width);
        Assert.Equal(e.GetProperty("height").GetInt32(), img.Height);
        foreach (var p in e.GetProperty("pixels").EnumerateArray())
        {
            var rgb = p.GetProperty("rgb").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var (r, g, b) = img[p.GetProperty("x").GetInt32(), p.GetProperty("y").GetInt32()];
            Assert.True(Math.Abs(r - rgb[0]) <= tolerance && Math.Abs(g - rgb[1]) <= tolerance && Math.Abs(b - rgb[2]) <= tolerance,
                $"{file} at ({p.GetProperty("x")},{p.GetProperty("y")}): got ({r},{g},{b}), PIL ({rgb[0]},{rgb[1]},{rgb[2]})");
        }
    }

    [Fact]
    public void Real_photos_decode()
    {
        var truck = ImageIO.Load(Fixtures.Path("images", "truck.jpg"));
        Assert.Equal((1800, 1200), (truck.Width, truck.Height));
        var dog = ImageIO.Load(Fixtures.Path("images", "dog.jpg"));
        Assert.True(dog.Width > 100 && dog.Height > 100);
        Assert.True(truck.Pixels.Distinct().Count() > 200, "a photo has many distinct values");
    }

    [Fact]
    public void Truncated_jpeg_gives_a_clear_error()
    {
        var bytes = File.ReadAllBytes(Fixtures.Path("images", "truck.jpg"));
        var e = Assert.Throws<BadInputException>(() => ImageIO.Decode(bytes[..(bytes.Length / 3)], "cut.jpg"));
        Assert.Contains("cut.jpg", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Huge_png_header_is_refused_before_decoding()
    {
        var e = Assert.Throws<ImageTooLargeException>(() => ImageIO.Decode(PngHeaderOnly(60000, 60000), "huge.png"));
        Assert.Contains("60000x60000", e.Message);
        Assert.Contains("exceeds the limit", e.Message);
    }

    [Fact]
    public void Non_images_are_refused()
    {
        var e = Assert.Throws<UnsupportedImageException>(() => ImageIO.Decode("just some text, not pixels"u8.ToArray(), "notes.txt"));
        Assert.Contains("not a supported image", e.Message);
        Assert.Throws<BadInputException>(() => ImageIO.Load("/nonexistent/x.png"));
    }

    [Fact]
    public void Png_and_mask_round_trip_and_tensor_conversions()
    {
        using var dir = Fixtures.TempDir();
        var img = ImageIO.Load(Fixtures.Path("images", "tiny.bmp"));
        ImageIO.SavePng(img, dir.File("a.png"));
        Assert.Equal(img.Pixels, ImageIO.Load(dir.File("a.png")).Pixels);

        using var chw = ImageTensors.ToFloatCHW(img);
        Assert.Equal(new long[] { 3, img.Height, img.Width }, chw.shape);
        Assert.Equal(img.Pixels, ImageTensors.FromFloatCHW(chw).Pixels);

        var mask = Enumerable.Range(0, 12).Select(i => i % 3 == 0).ToArray();
        ImageIO.SaveMaskPng(mask, 4, 3, dir.File("m.png"));
        var (back, w, h) = ImageIO.LoadMaskPng(dir.File("m.png"));
        Assert.Equal((4, 3), (w, h));
        Assert.Equal(mask, back);
        Assert.Equal(new byte[] { 255, 255, 255 }, ImageIO.Load(dir.File("m.png")).Pixels[..3]);
    }

    [Fact]
    public void Overlays_tint_masks_and_colour_labels()
    {
        var img = new RgbImage(4, 4, new byte[48]);
        using var mask = zeros(4, 4, ScalarType.Bool);
        mask[1.., 1..] = tensor(true);
        var o = Overlay.MaskOverlay(img, mask, (200, 0, 0), alpha: 0.5f);
        Assert.Equal((0, 0, 0), ((int)o[0, 0].R, (int)o[0, 0].G, (int)o[0, 0].B));
        Assert.Equal((255, 255, 255), ((int)o[1, 1].R, (int)o[1, 1].G, (int)o[1, 1].B)); // contour: white over a dark pixel
        Assert.Equal(100, o[2, 2].R);   // inside: tinted
        var bright = new RgbImage(4, 4, Enumerable.Repeat((byte)250, 48).ToArray());
        var ob = Overlay.MaskOverlay(bright, mask, (250, 250, 250), alpha: 0.5f);
        Assert.Equal((0, 0, 0), ((int)ob[1, 1].R, (int)ob[1, 1].G, (int)ob[1, 1].B)); // black over a bright pixel of the mask's own colour
        var marked = Overlay.PromptPoints(bright, [(10.0, 10.0, true)]);
        Assert.Equal(bright.Pixels, marked.Pixels);   // a point outside the image draws nothing
        var big = new RgbImage(40, 40, new byte[40 * 40 * 3]);
        var pts = Overlay.PromptPoints(big, [(10.0, 10.0, true), (30.0, 30.0, false)]);
        Assert.Equal((40, 220, 60), ((int)pts[10, 10].R, (int)pts[10, 10].G, (int)pts[10, 10].B));
        Assert.Equal((230, 30, 30), ((int)pts[30, 30].R, (int)pts[30, 30].G, (int)pts[30, 30].B));

        using var labels = tensor(new long[] { 0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2 }).view(4, 4);
        var l = Overlay.LabelOverlay(img, labels, alpha: 1f);
        var pal = Overlay.Palette(3);
        Assert.Equal(pal[0], l[0, 0]);
        Assert.Equal((255, 255, 255), ((int)l[1, 0].R, (int)l[1, 0].G, (int)l[1, 0].B)); // boundary between 0 and 1
        Assert.Equal(pal[2], l[0, 3]);
        Assert.Equal(3, pal.Distinct().Count());
    }

    /// <summary>A PNG signature and IHDR chunk claiming the given size, with no image data.</summary>
    static byte[] PngHeaderOnly(int w, int h)
    {
        var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new MemoryStream();
        ihdr.Write("IHDR"u8);
        ihdr.Write(BigEndian(w));
        ihdr.Write(BigEndian(h));
        ihdr.Write([8, 2, 0, 0, 0]); // 8-bit RGB
        var body = ihdr.ToArray();
        ms.Write(BigEndian(13));
        ms.Write(body);
        ms.Write(BigEndian((int)Crc32(body)));
        // A tiny IDAT (an empty zlib stream) so the decoder gets past the header, then IEND.
        Chunk(ms, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    static void Chunk(MemoryStream ms, string type, byte[] data)
    {
        var body = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        ms.Write(BigEndian(data.Length));
        ms.Write(body);
        ms.Write(BigEndian((int)Crc32(body)));
    }

    static uint Crc32(byte[] data)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return c ^ 0xFFFFFFFF;
    }

    static byte[] BigEndian(int v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];
}
