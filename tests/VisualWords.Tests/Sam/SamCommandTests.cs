using Xunit;
using System.Text.Json;
using VisualWords.Cli;
using VisualWords.Imaging;

namespace VisualWords.Tests.Sam;

[Collection(VisualWords.Tests.Cli.CliCollection.Name)]
public class SamCommandTests
{
    static readonly string Ckpt = SamGoldens.Path("sam_vit_tiny.pth");
    static readonly string Photo = SamGoldens.Path("truck_360x240.png");

    static int Run(params string[] args) => VisualWords.Tests.Cli.CliRunner.Run(args).Code;

    [Fact]
    public void Sam_WritesOriginalSizeMaskOverlayAndJson()
    {
        var dir = Directory.CreateTempSubdirectory("vw-sam-").FullName;
        try
        {
            string mask = Path.Combine(dir, "mask.png"), overlay = Path.Combine(dir, "overlay.png"), json = Path.Combine(dir, "out.json");
            int rc = Run("sam", "--model-type", "vit_tiny", "--checkpoint", Ckpt, "--image", Photo,
                "--point", "200,120", "--multimask", "--out", mask, "--overlay", overlay, "--json", json);
            Assert.Equal(ExitCodes.Ok, rc);
            var (m, w, h) = ImageIO.LoadMaskPng(mask);
            Assert.Equal((360, 240), (w, h));
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var ious = doc.RootElement.GetProperty("iou_predictions").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(3, ious.Length);
            int best = doc.RootElement.GetProperty("best_index").GetInt32();
            Assert.Equal(ious.Max(), ious[best]);
            Assert.Equal(m.LongCount(b => b), doc.RootElement.GetProperty("mask_pixels").GetInt64());
            Assert.True(doc.RootElement.GetProperty("timings_ms").GetProperty("encoder").GetDouble() > 0);
            Assert.Equal((360, 240), (ImageIO.Load(overlay).Width, ImageIO.Load(overlay).Height));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("--box", "10,10,5,50")]      // x1 < x0
    [InlineData("--point", "400,10")]        // outside the 360x240 image
    [InlineData("--point", "10,abc")]
    [InlineData("--point", "10,10,2")]       // label must be 0 or 1
    public void Sam_BadPrompt_ExitsWithBadInput(string option, string value)
    {
        string mask = Path.Combine(Path.GetTempPath(), $"vw-sam-bad-{Guid.NewGuid():N}.png");
        Assert.Equal(ExitCodes.BadInput, Run("sam", "--model-type", "vit_tiny", "--checkpoint", Ckpt, "--image", Photo, option, value, "--out", mask));
        Assert.False(File.Exists(mask));
    }

    [Fact]
    public void Sam_CheckpointOfAnotherModelType_ExitsWithBadInput()
    {
        string mask = Path.Combine(Path.GetTempPath(), $"vw-sam-bad-{Guid.NewGuid():N}.png");
        Assert.Equal(ExitCodes.BadInput, Run("sam", "--model-type", "vit_b", "--checkpoint", Ckpt, "--image", Photo, "--point", "5,5", "--out", mask));
    }
}
