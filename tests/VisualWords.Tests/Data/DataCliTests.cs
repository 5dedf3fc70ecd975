using VisualWords.Data;
using VisualWords.Tests.Cli;

namespace VisualWords.Tests.Data;

[Collection(CliCollection.Name)]
public class DataCliTests
{
    [Fact]
    public void Data_shapes_writes_a_refer_dataset_and_refuses_bad_options()
    {
        using var dir = Fixtures.TempDir();
        var (code, output, err) = CliRunner.Run("data", "shapes", "--out", dir.Path, "--count", "4", "--seed", "2", "--size", "64", "--workers", "1");
        Assert.True(code == 0, err);
        Assert.Contains("4 images", output);
        var ds = ReferDataset.Open(dir.Path);
        Assert.Equal(4, ds.Instances.Images.Count);
        Assert.All(ds.Instances.Images.Values, i => Assert.True(File.Exists(Path.Combine(dir.Path, "images", i.FileName))));
        Assert.Equal(2, CliRunner.Run("data", "shapes", "--out", dir.Path, "--count", "0").Code);
        var bad = CliRunner.Run("data", "shapes", "--out", dir.Path, "--count", "2", "--held-out", "pink:star");
        Assert.Equal(2, bad.Code);
        Assert.Contains("unknown colour 'pink'", bad.Err);
    }

    [Fact]
    public void Data_info_summarises_the_real_refcocog_sample()
    {
        var (code, output, err) = CliRunner.Run("data", "info", "--data", Fixtures.Path("refcocog-umd-sample"));
        Assert.True(code == 0, err);
        Assert.Contains("15 refs, 28 sentences, 108 annotations, 15 images, 80 categories", output);
        Assert.Contains("refs(umd).p", output);
        Assert.Equal(2, CliRunner.Run("data", "info", "--data", Fixtures.Path("no-such-folder")).Code);
    }
}
