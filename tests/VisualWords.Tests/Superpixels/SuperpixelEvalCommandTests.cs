using System.Text.Json;
using VisualWords.Cli;
using VisualWords.Data;
using VisualWords.Evaluation;
using VisualWords.Superpixels;
using Xunit;

namespace VisualWords.Tests.Superpixels;

[Collection(VisualWords.Tests.Cli.CliCollection.Name)]
public class SuperpixelEvalCommandTests
{
    static readonly ShapesWorldOptions Tiny = new() { Size = 64, ValFraction = 0.5, TestAFraction = 0, TestBFraction = 0, CompositionalFraction = 0 };

    static int Run(params string[] args) => VisualWords.Cli.Cli.Run(CliApp.Build(), args);

    [Fact]
    public void EvalWritesTheLibraryScoresAsJson()
    {
        using var dir = Fixtures.TempDir();
        ShapesWorldWriter.Write(dir.Path, 6, seed: 1, Tiny, threads: 1);
        var json = dir.File("grid.json");
        Assert.Equal(ExitCodes.Ok, Run("superpixels", "eval", "--data", dir.Path, "--split", "val", "--method", "grid", "--grid-cells", "2", "--json", json));

        var images = InstanceImage.OfSplit(ReferDataset.Open(dir.Path), "val");
        var expected = SuperpixelEvaluation.Run(new GridSuperpixelizer(2), images);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var score = doc.RootElement.GetProperty("score");
        Assert.Equal("grid 2x2", score.GetProperty("method").GetString());
        Assert.Equal(images.Count, score.GetProperty("images").GetInt32());
        Assert.Equal(expected.Objects, score.GetProperty("objects").GetInt32());
        Assert.Equal(expected.Asa, score.GetProperty("asa").GetDouble(), 12);
        Assert.Equal(expected.BoundaryRecall, score.GetProperty("boundary_recall").GetDouble(), 12);
        Assert.Equal(expected.UndersegmentationError, score.GetProperty("undersegmentation_error").GetDouble(), 12);
        Assert.Equal(expected.ObjectRecall, score.GetProperty("object_recall").GetDouble(), 12);
        Assert.Equal(4.0, score.GetProperty("regions_per_image").GetDouble());
        Assert.Equal(2, doc.RootElement.GetProperty("boundary_tolerance_px").GetInt32());
    }

    [Fact]
    public void EvalNamesTheEverythingModeAndRejectsAnUnknownOne()
    {
        using var dir = Fixtures.TempDir();
        ShapesWorldWriter.Write(dir.Path, 6, seed: 1, Tiny, threads: 1);
        var json = dir.File("fast.json");
        string[] semantic = ["superpixels", "eval", "--data", dir.Path, "--model-type", "vit_tiny", "--checkpoint", Fixtures.Path("amg", "amg_vit_tiny.pth"),
            "--points-per-side", "4", "--pred-iou-thresh", "0", "--stability-score-thresh", "0"];
        Assert.Equal(ExitCodes.Ok, Run([.. semantic, "--json", json]));
        using (var doc = JsonDocument.Parse(File.ReadAllText(json)))
        {
            Assert.Equal("semantic (fast)", doc.RootElement.GetProperty("score").GetProperty("method").GetString());
            Assert.Contains("mode=fast", doc.RootElement.GetProperty("settings").GetString());
        }
        Assert.Equal(ExitCodes.BadInput, Run([.. semantic, "--mode", "quick"]));
    }
}
