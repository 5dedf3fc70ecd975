using Xunit;
using VisualWords.Checkpoints;
using VisualWords.Imaging;
using VisualWords.Sam;

namespace VisualWords.Tests.Sam;

public class ResizeLongestSideTests
{
    static RgbImage FromGolden(StateDict g, string key)
    {
        var t = g[key];
        return new RgbImage((int)t.shape[1], (int)t.shape[0], t.data<byte>().ToArray());
    }

    [Theory]
    [InlineData("long256", 256)]  // downscaling: PIL's antialiased triangle filter
    [InlineData("long500", 500)]  // upscaling: plain bilinear
    public void ResizeLongestSide_EqualsPilByteForByte(string key, int longSide)
    {
        using var g = Checkpoint.Load(SamGoldens.Path("resize_golden.safetensors"));
        var src = FromGolden(g, "image");
        var expected = FromGolden(g, key);
        var ours = ResizeLongestSide.ApplyImage(src, longSide);
        Assert.Equal((expected.Width, expected.Height), (ours.Width, ours.Height));
        Assert.Equal(expected.Pixels, ours.Pixels);
    }

    [Fact]
    public void PilBilinear_MixedScale_EqualsPil()
    {
        using var g = Checkpoint.Load(SamGoldens.Path("resize_golden.safetensors"));
        var ours = PilBilinear.Resize(FromGolden(g, "image"), 97, 203);  // x shrinks, y grows
        Assert.Equal(FromGolden(g, "mixed_97x203").Pixels, ours.Pixels);
    }

    [Fact]
    public void FixturePng_DecodesToTheGoldenPixels()
    {
        using var g = Checkpoint.Load(SamGoldens.Path("resize_golden.safetensors"));
        var img = ImageIO.Load(SamGoldens.Path("truck_360x240.png"));
        Assert.Equal(FromGolden(g, "image").Pixels, img.Pixels);
    }

    [Theory]
    [InlineData(1200, 1800, 1024, 683, 1024)]
    [InlineData(240, 360, 256, 171, 256)]
    [InlineData(100, 100, 1024, 1024, 1024)]
    public void PreprocessShape_RoundsHalfUp(int h, int w, int longSide, int eh, int ew)
    {
        Assert.Equal((eh, ew), ResizeLongestSide.GetPreprocessShape(h, w, longSide));
    }
}
