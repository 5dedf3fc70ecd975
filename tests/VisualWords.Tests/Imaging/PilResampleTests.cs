using System.Text.Json;
using VisualWords.Checkpoints;
using VisualWords.Imaging;
using static TorchSharp.torch;

namespace VisualWords.Tests.Imaging;

/// <summary>CLIPImageProcessor's resize-and-crop against PIL 9.4 (tools/parity/lisa_tiny_folder.py).</summary>
public class PilResampleTests
{
    static RgbImage Crop(RgbImage src, int left, int top, int right, int bottom)
    {
        int w = right - left, h = bottom - top;
        var px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) Array.Copy(src.Pixels, ((top + y) * src.Width + left) * 3, px, y * w * 3, w * 3);
        return new RgbImage(w, h, px);
    }

    [Fact]
    public void ShortestSideBicubicThenCenterCropEqualsPilByteForByte()
    {
        var truck = ImageIO.Load(Fixtures.Path("sam", "truck_360x240.png"));
        using var golden = Checkpoint.Load(Fixtures.Path("lisa", "clip_preprocess_golden.safetensors"));
        using var meta = JsonDocument.Parse(SafetensorsFile.ReadMetadata(Fixtures.Path("lisa", "clip_preprocess_golden.safetensors"))["cases"]);
        var cases = meta.RootElement.EnumerateArray().ToList();
        Assert.Equal(4, cases.Count);
        foreach (var c in cases)
        {
            var name = c[0].GetString()!;
            var box = c[1].EnumerateArray().Select(v => v.GetInt32()).ToArray();
            int size = c[2].GetInt32();
            var ours = PilResample.ShortestSideCenterCrop(Crop(truck, box[0], box[1], box[2], box[3]), size);
            using var expected = golden[name];
            Assert.Equal(new long[] { size, size, 3 }, expected.shape);
            using var actual = ImageTensors.ToTensorHWC(ours);
            long differ = actual.ne(expected).sum().item<long>();
            Assert.True(differ == 0, $"{name}: {differ} bytes differ from PIL");
        }
    }
}
