using Xunit;
using System.Text.Json;
using VisualWords.Cli;
using VisualWords.Imaging;
using VisualWords.Sam;

namespace VisualWords.Tests.Sam;

[Collection(VisualWords.Tests.Cli.CliCollection.Name)]
public class SamCommandTests
{
    static readonly string Ckpt = SamGoldens.Path("sam_vit_tiny.pth");
    static readonly string Photo = SamGoldens.Path("truck_360x240.png");

    static int Run(params string[] args) => VisualWords.Tests.Cli.CliRunner.Run(args).Code;

    /// <summary>--sam-dtype bf16 runs the encoder in bfloat16 and gives nearly fp32's mask; a wrong value is bad input before any work.</summary>
    [Fact]
    public void Sam_dtype_bf16_gives_nearly_the_fp32_mask_and_a_wrong_dtype_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("vw-sam-").FullName;
        try
        {
            string Mask(string dtype) => Path.Combine(dir, dtype + ".png");
            foreach (var dtype in new[] { "fp32", "bf16" })
                Assert.Equal(ExitCodes.Ok, Run("sam", "--model-type", "vit_tiny", "--checkpoint", Ckpt, "--image", Photo,
                    "--point", "200,120", "--out", Mask(dtype), "--sam-dtype", dtype));
            var (a, _, _) = ImageIO.LoadMaskPng(Mask("fp32"));
            var (b, _, _) = ImageIO.LoadMaskPng(Mask("bf16"));
            double inter = a.Zip(b).Count(p => p.First && p.Second), union = a.Zip(b).Count(p => p.First || p.Second);
            Assert.True(union > 0 && inter / union >= 0.95, $"bf16 mask IoU against fp32 {inter / Math.Max(1, union):F3}");

            var (code, _, err) = VisualWords.Tests.Cli.CliRunner.Run("sam", "--model-type", "vit_tiny", "--checkpoint", Ckpt, "--image", Photo,
                "--point", "200,120", "--out", Path.Combine(dir, "x.png"), "--sam-dtype", "fp16");
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Contains("--sam-dtype must be fp32 or bf16", err);
            Assert.False(File.Exists(Path.Combine(dir, "x.png")));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

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

    [Fact]
    public void SamRun_writes_the_mask_and_report_of_the_command()
    {
        using var dir = Fixtures.TempDir();
        int rc = Run("sam", "--model-type", "vit_tiny", "--checkpoint", Ckpt, "--image", Photo, "--point", "200,120", "--point", "20,20,0",
            "--box", "100,40,300,220", "--out", dir.File("mask.png"), "--overlay", dir.File("overlay.png"), "--json", dir.File("out.json"));
        Assert.Equal(ExitCodes.Ok, rc);

        var written = new List<(string Path, byte[] Bytes)>();
        var stages = new List<string>();
        var request = new SamRun.Request(SamModelConfig.Get("vit_tiny"), Ckpt, Photo, ImageIO.Load(Photo), [new SamPoint(200, 120), new SamPoint(20, 20, 0)],
            new SamBox(100, 40, 300, 220), Multimask: false, dir.File("mask.png"), dir.File("overlay.png"));
        var report = SamRun.Run(request, device: null, (path, write) =>
        {
            using var ms = new MemoryStream();
            write(ms);
            written.Add((path, ms.ToArray()));
        }, new RunFeedback((status, work) => { stages.Add(status); work(); }));

        Assert.Equal(["loading checkpoint", "encoding 360x240 image (vit_tiny)"], stages);
        Assert.Equal([dir.File("mask.png"), dir.File("overlay.png")], written.Select(w => w.Path));
        Assert.Equal(File.ReadAllBytes(dir.File("mask.png")), written[0].Bytes);
        Assert.Equal(File.ReadAllBytes(dir.File("overlay.png")), written[1].Bytes);
        var (mask, _, _) = ImageIO.LoadMaskPng(dir.File("mask.png"));
        Assert.Equal(mask.LongCount(b => b), report.MaskPixels);
        Assert.Equal(0, report.BestIndex);   // a single output without --multimask

        // The report is the command's --json, timings aside, with the same field names.
        using var cli = JsonDocument.Parse(File.ReadAllText(dir.File("out.json")));
        using var mine = JsonDocument.Parse(report.ToJson());
        foreach (var doc in new[] { cli, mine })
        {
            var root = doc.RootElement;
            Assert.Equal(["model_type", "image", "points", "box", "multimask", "iou_predictions", "best_index", "mask_pixels", "timings_ms", "threads"],
                root.EnumerateObject().Select(p => p.Name));
            Assert.Equal(["load", "encoder", "decoder", "write"], root.GetProperty("timings_ms").EnumerateObject().Select(p => p.Name));
        }
        foreach (var key in new[] { "model_type", "image", "points", "box", "multimask", "iou_predictions", "best_index", "mask_pixels" })
            Assert.Equal(cli.RootElement.GetProperty(key).GetRawText(), mine.RootElement.GetProperty(key).GetRawText());
        Assert.Equal("""[{"x":200,"y":120,"label":1},{"x":20,"y":20,"label":0}]""",
            JsonSerializer.Serialize(JsonSerializer.Deserialize<JsonElement>(mine.RootElement.GetProperty("points").GetRawText())));

        var none = request with { Points = [], Box = null };
        Assert.Contains("at least one --point or a --box", Assert.Throws<BadInputException>(() => SamRun.Run(none, null, (_, _) => { })).Message);
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
