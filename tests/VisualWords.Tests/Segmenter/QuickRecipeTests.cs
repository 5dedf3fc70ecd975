using System.Text.Json;
using VisualWords.Data;
using VisualWords.Evaluation;
using VisualWords.Segmenter;
using VisualWords.Superpixels;
using VisualWords.Training;
using VisualWords.Tests.Training;

namespace VisualWords.Tests.Segmenter;

/// <summary>
/// configs/visualwords-quick.json — the shipped recipe at toy sizes — learns in a minute or two:
/// the Dice term itself falls, and on val images it never trained on the model (answers generated,
/// no teacher forcing) beats the "largest superpixel" baseline on the same superpixels.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public class QuickRecipeTests
{
    [Fact]
    public void Quick_config_learns_dice_falls_and_val_beats_the_largest_superpixel()
    {
        using var dir = Fixtures.TempDir();
        var data = Path.Combine(dir.Path, "shapes");
        ShapesWorldWriter.Write(data, 16, seed: 5, new ShapesWorldOptions { Size = 128 }, threads: 1);
        var path = Path.Combine(Fixtures.RepoRoot(), "configs", "visualwords-quick.json");
        var config = TrainConfig.Load(path);
        var dataSection = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(config.Data!.Value)!;
        dataSection["dataset"] = JsonSerializer.SerializeToElement(data);
        config = config with { Data = JsonSerializer.SerializeToElement(dataSection) };

        using var task = new ReferringSegmentationTask(config);
        var history = new Trainer(config, task, Path.Combine(dir.Path, "run")).Run(resume: false);
        int quarter = history.Count / 4;
        double DiceOf(IEnumerable<StepMetrics> steps) => steps.Average(h => h.Parts["dice"]);
        double first = DiceOf(history.Take(quarter)), last = DiceOf(history.TakeLast(quarter));
        Assert.True(last < first - 0.01, $"Dice did not fall: first quarter {first:F3}, last quarter {last:F3}");

        var folder = Path.Combine(dir.Path, "model");
        SegmenterFolder.Save(task.Segmenter, folder);
        using var segmenter = ReferringSegmenter.Load(folder);
        using var model = new SegmenterPredictor(segmenter, "quick");
        var baseline = new LargestSuperpixelBaseline(new SlicSuperpixelizer());   // eval's default baseline
        var report = ReferringEvaluator.Evaluate(ReferDataset.Open(data), "val", [model, baseline], limit: 64);
        var (ours, largest) = (report.Rows[0], report.Rows[1]);
        Assert.True(ours.GIoU > largest.GIoU + 0.05 && ours.CIoU > largest.CIoU,
            $"val gIoU {ours.GIoU:F3} / cIoU {ours.CIoU:F3} vs largest superpixel {largest.GIoU:F3} / {largest.CIoU:F3}");
    }
}
