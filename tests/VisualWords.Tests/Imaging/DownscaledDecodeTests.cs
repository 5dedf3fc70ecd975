using SkiaSharp;
using VisualWords.Imaging;
using VisualWords.Data;
using static TorchSharp.torch;

namespace VisualWords.Tests.Imaging;

public class DownscaledDecodeTests
{
    static byte[] Jpeg(int w, int h)
    {
        using var bmp = new SKBitmap(w, h);
        using (var canvas = new SKCanvas(bmp))
        {
            canvas.Clear(new SKColor(20, 120, 200));
            using var paint = new SKPaint { Color = new SKColor(240, 30, 30) };
            canvas.DrawRect(w / 4, h / 4, w / 2, h / 2, paint);
        }
        using var image = SKImage.FromBitmap(bmp);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    [Fact]
    public void A_large_jpeg_is_reduced_to_no_less_than_the_working_size()
    {
        var (img, fullW, fullH) = ImageIO.Decode(Jpeg(3000, 2000), "big.jpg", minLongSide: 1024);
        Assert.Equal((3000, 2000), (fullW, fullH));
        Assert.True(img.Width >= 1024 && img.Width < 3000, $"decoded at {img.Width}x{img.Height}");
        Assert.Equal(img.Width * 2, img.Height * 3);   // the aspect ratio is kept
        var centre = img[img.Width / 2, img.Height / 2];
        Assert.True(centre.R > 200 && centre.B < 80, "the red rectangle is where it was");

        var (same, w, h) = ImageIO.Decode(Jpeg(600, 400), "small.jpg", minLongSide: 1024);
        Assert.Equal((600, 400, 600, 400), (same.Width, same.Height, w, h));
    }

    [Fact]
    public void Nearest_mask_resize_maps_blocks()
    {
        var mask = new[] { true, false, false, true };   // 2x2
        var big = MaskResize.Nearest(mask, 2, 2, 4, 2);
        Assert.Equal(new[] { true, true, false, false, false, false, true, true }, big);
        Assert.Same(mask, MaskResize.Nearest(mask, 2, 2, 2, 2));
    }

    [Fact]
    public void Rle_of_a_mask_without_any_run_boundary()
    {
        using var empty = zeros(new long[] { 1, 5, 4 }, ScalarType.Bool);
        using var full = ones(new long[] { 1, 5, 4 }, ScalarType.Bool);
        Assert.Equal(new uint[] { 20 }, RleEncoding.EncodeBatch(empty)[0].Counts);
        Assert.Equal(new uint[] { 0, 20 }, RleEncoding.EncodeBatch(full)[0].Counts);
        using var both = cat([empty, full], 0);
        var rles = RleEncoding.EncodeBatch(both);
        Assert.Equal((0L, 20L), (RleOps.Area(rles[0]), RleOps.Area(rles[1])));
    }

    [Fact]
    public void Photo_and_flat_scene_statistics_differ()
    {
        var scene = ImageIO.Load(Fixtures.Path("shapes", "scene.png"));
        var photo = ImageIO.Load(Fixtures.Path("sam", "truck_360x240.png"));
        Assert.True(ImageStatistics.FlatColourFraction(scene) > 0.9, $"scene {ImageStatistics.FlatColourFraction(scene)}");
        Assert.True(ImageStatistics.FlatColourFraction(photo) < 0.6, $"photo {ImageStatistics.FlatColourFraction(photo)}");
    }
}
