using System.Text.Json;
using VisualWords.Imaging;

namespace VisualWords.Tests.Cli;

[Collection(CliCollection.Name)]
public class LisaCliTests
{
    [Fact]
    public void Segment_accepts_a_lisa_folder()
    {
        using var dir = Fixtures.TempDir();
        var (code, output, err) = CliRunner.Run("segment", "--threads", "1", "--model", Fixtures.Path("lisa", "lisa-tiny"),
            "--image", Fixtures.Path("sam", "truck_360x240.png"), "-e", "the truck", "--out", dir.File("mask.png"), "--json", dir.File("out.json"));
        Assert.True(code == 0, err);
        Assert.Contains("16 visual tokens", output);
        var mask = ImageIO.Load(dir.File("mask.png"));
        Assert.Equal((360, 240), (mask.Width, mask.Height));
        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("out.json")));
        Assert.Equal(16, json.RootElement.GetProperty("visual_tokens").GetInt32());
    }

    [Fact]
    public void Segment_with_a_lisa_folder_missing_its_clip_tower_is_bad_input()
    {
        using var dir = Fixtures.TempDir();
        var lisa = Path.Combine(dir.Path, "lisa");
        Directory.CreateDirectory(lisa);
        foreach (var f in Directory.GetFiles(Fixtures.Path("lisa", "lisa-tiny"))) File.Copy(f, Path.Combine(lisa, Path.GetFileName(f)));
        var (code, _, err) = CliRunner.Run("segment", "--model", lisa, "--image", Fixtures.Path("sam", "truck_360x240.png"),
            "-e", "the truck", "--out", dir.File("mask.png"));
        Assert.Equal(2, code);
        Assert.Contains("clip-vit-tiny", err);
    }
}
