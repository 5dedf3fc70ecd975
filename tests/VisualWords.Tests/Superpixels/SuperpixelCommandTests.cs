using System.Text.Json;
using VisualWords.Cli;
using VisualWords.Data;
using VisualWords.Imaging;
using VisualWords.Sam.Amg;
using VisualWords.Superpixels;
using Xunit;

namespace VisualWords.Tests.Superpixels;

[Collection(VisualWords.Tests.Cli.CliCollection.Name)]
public class SuperpixelCommandTests
{
    static readonly string Ckpt = Fixtures.Path("amg", "amg_vit_tiny.pth");
    static readonly string Photo = Fixtures.Path("sam", "truck_360x240.png");

    static int Run(params string[] args) => VisualWords.Cli.Cli.Run(CliApp.Build(), args);

    [Fact]
    public void SemanticWritesOverlayRegionsAndOfficialMaskRecords()
    {
        using var dir = Fixtures.TempDir();
        int rc = Run("superpixels", "--model-type", "vit_tiny", "--checkpoint", Ckpt, "--image", Photo, "--out", dir.File("o.png"),
            "--json", dir.File("regions.json"), "--masks-json", dir.File("masks.json"), "--points-per-side", "8",
            "--pred-iou-thresh", "0", "--stability-score-thresh", "0.65", "--stability-score-offset", "0.01", "--min-region-area", "50");
        Assert.Equal(ExitCodes.Ok, rc);
        Assert.Equal((360, 240), (ImageIO.Load(dir.File("o.png")).Width, ImageIO.Load(dir.File("o.png")).Height));
        using var regions = JsonDocument.Parse(File.ReadAllText(dir.File("regions.json")));
        using var masks = JsonDocument.Parse(File.ReadAllText(dir.File("masks.json")));
        var records = masks.RootElement.EnumerateArray().ToList();
        Assert.Equal(regions.RootElement.GetProperty("masks").GetInt32(), records.Count);
        Assert.NotEmpty(records);
        foreach (var r in records)
        {
            var seg = r.GetProperty("segmentation");
            var rle = RleString.Decompress(seg.GetProperty("counts").GetString()!, 240, 360);
            Assert.Equal(r.GetProperty("area").GetInt64(), RleOps.Area(rle));
            Assert.Equal(4, r.GetProperty("bbox").GetArrayLength());
            Assert.Equal(new[] { 0, 0, 360, 240 }, r.GetProperty("crop_box").EnumerateArray().Select(e => e.GetInt32()));
            foreach (var key in new[] { "predicted_iou", "stability_score", "point_coords" }) Assert.True(r.TryGetProperty(key, out _));
        }
        var regs = regions.RootElement.GetProperty("regions").EnumerateArray().ToList();
        Assert.Equal(240L * 360, regs.Sum(r => r.GetProperty("area").GetInt64()));
        Assert.All(regs, r => Assert.True(r.GetProperty("area").GetInt64() >= 50));
    }

    [Fact]
    public void FolderWithBaselinesAndPrecomputeShardsMerge()
    {
        using var dir = Fixtures.TempDir();
        var images = Path.Combine(dir.Path, "images");
        Directory.CreateDirectory(images);
        var photo = ImageIO.Load(Photo);
        for (int i = 0; i < 3; i++)
            ImageIO.SavePng(SamAutomaticMaskGenerator.Crop(photo, new CropBox(60 * i, 40, 60 * i + 96, 104, 0)), Path.Combine(images, $"p{i}.png"));
        Assert.Equal(ExitCodes.Ok, Run("superpixels", "--method", "slic", "--slic-segments", "20", "--image", images,
            "--out", Path.Combine(dir.Path, "overlays"), "--json", Path.Combine(dir.Path, "regions")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "overlays", "p2.png.png")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "regions", "p0.png.regions.json")));

        var outDir = Path.Combine(dir.Path, "pre");
        foreach (var shard in new[] { "0/2", "1/2" })
            Assert.Equal(ExitCodes.Ok, Run("precompute", "--images", images, "--shard", shard, "--out", outDir, "--method", "grid", "--grid-cells", "4"));
        Assert.Equal(ExitCodes.Ok, Run("precompute", "merge", "--out", outDir));
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "index.json")));
        Assert.Equal(3, index.RootElement.GetProperty("count").GetInt32());
        Assert.All(index.RootElement.GetProperty("images").EnumerateArray(), e => Assert.Equal(16, e.GetProperty("regions").GetInt32()));
    }

    [Fact]
    public void SuperpixelRunWritesTheCommandsOverlayAndSuperpixelFileRegionRecords()
    {
        using var dir = Fixtures.TempDir();
        Assert.Equal(ExitCodes.Ok, Run("superpixels", "--method", "grid", "--grid-cells", "4", "--image", Photo,
            "--out", dir.File("o.png"), "--json", dir.File("regions.json")));

        var grid = new GridSuperpixelizer(4);
        var written = new Dictionary<string, byte[]>();
        var summary = SuperpixelRun.Image(grid, Photo, "o.png", "regions.json", masksPath: null, (path, write) =>
        {
            using var ms = new MemoryStream();
            write(ms);
            written.Add(path, ms.ToArray());
        });
        Assert.Equal(["o.png", "regions.json"], written.Keys);
        Assert.Equal((0, 16), (summary.Masks, summary.Regions));
        Assert.StartsWith("total ", summary.Timing);

        // The region records are SuperpixelFile's (no label map), and the command wrote the same.
        var partition = grid.Partition(ImageIO.Load(Photo));
        var expected = SuperpixelFile.ToJson(new SuperpixelFile.Content(Photo, grid.Name, 0, partition), labelMap: false);
        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(written["regions.json"]));
        Assert.Equal(expected, File.ReadAllText(dir.File("regions.json")));
        Assert.Equal(File.ReadAllBytes(dir.File("o.png")), written["o.png"]);
    }

    [Fact]
    public void BadInputExitsWithCodeTwo()
    {
        using var dir = Fixtures.TempDir();
        Assert.Equal(ExitCodes.BadInput, Run("superpixels", "--image", Photo, "--out", dir.File("o.png")));          // semantic needs --checkpoint
        Assert.Equal(ExitCodes.BadInput, Run("superpixels", "--method", "voronoi", "--image", Photo, "--out", dir.File("o.png")));
        Assert.Equal(ExitCodes.BadInput, Run("superpixels", "--method", "grid", "--image", dir.File("none.png"), "--out", dir.File("o.png")));
        Assert.Equal(ExitCodes.BadInput, Run("precompute", "--images", dir.Path, "--shard", "2/2", "--out", dir.File("x"), "--method", "grid"));
        Assert.Equal(ExitCodes.BadInput, Run("precompute", "merge", "--out", dir.File("nothing")));
        Assert.Equal(ExitCodes.BadInput, Run("superpixels", "--model-type", "vit_tiny", "--checkpoint", Ckpt, "--image", Photo,
            "--out", dir.File("o.png"), "--pred-iou-thresh", "1.5"));
    }
}
