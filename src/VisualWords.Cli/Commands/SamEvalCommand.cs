using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Spectre.Console;
using TorchSharp;
using VisualWords.Data;
using VisualWords.Evaluation;
using VisualWords.Sam;
using VisualWords.Sam.Amg;

namespace VisualWords.Cli.Commands;

/// <summary><c>visualwords sam-eval</c>: point-prompt mIoU and point-grid object recall of a SAM on a refer-format split.</summary>
public static class SamEvalCommand
{
    public static Command Create()
    {
        var modelType = new Option<string>("--model-type")
        {
            Description = $"SAM model type: {string.Join(", ", SamModelConfig.Registry.Keys)}.",
            DefaultValueFactory = _ => "shapes_sam",
        };
        var checkpoint = new Option<string>("--checkpoint") { Description = "SAM weights (.safetensors, .pth).", Required = true };
        var data = new Option<string>("--data") { Description = "Refer-format dataset folder (instances.json, refs(NAME).json, images/).", Required = true };
        var split = new Option<string>("--split") { Description = "Split whose images are scored (every annotated object on them).", DefaultValueFactory = _ => "val" };
        var maxImages = new Option<int>("--max-images") { Description = "Score only the first N images of the split (0: all).", DefaultValueFactory = _ => 0 };
        var grid = new Option<int>("--grid") { Description = "Points per side of the everything-mode grid (0: skip the grid evaluation).", DefaultValueFactory = _ => 16 };
        var amg = new Option<int>("--amg") { Description = "Points per side of the automatic mask generator to score (0: skip).", DefaultValueFactory = _ => 16 };
        var predIou = new Option<double>("--pred-iou-thresh") { Description = "Predicted-IoU filter of the grid and generator evaluations (SAM: 0.88).", DefaultValueFactory = _ => 0.88 };
        var stability = new Option<double>("--stability-thresh") { Description = "Stability-score filter of the grid and generator evaluations (SAM: 0.95).", DefaultValueFactory = _ => 0.95 };
        var json = new Option<string?>("--json") { Description = "Also write the scores and timings_ms as JSON ('-' = stdout)." };
        var cmd = new Command("sam-eval", "Evaluate a SAM on instance masks: single-click mIoU and point-grid object recall (IoU >= 0.5).");
        foreach (var o in new Option[] { modelType, checkpoint, data, split, maxImages, grid, amg, predIou, stability, json }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var device = GlobalOptions.Apply(r);
            var config = SamModelConfig.Get(r.GetValue(modelType)!);
            using var outputs = new OutputFiles().Input(r.GetValue(checkpoint)).File("--json", r.GetValue(json), allowStdout: true);
            var say = Term.Results(outputs);
            if (r.GetValue(maxImages) < 0) throw new BadInputException("--max-images must be 0 (all) or more");
            if (r.GetValue(grid) < 0) throw new BadInputException("--grid must be 0 (skip) or more");
            if (r.GetValue(amg) < 0) throw new BadInputException("--amg must be 0 (skip) or more");
            var dataset = ReferDataset.Open(r.GetValue(data)!);
            var images = InstanceImage.OfSplit(dataset, r.GetValue(split)!);
            if (r.GetValue(maxImages) > 0) images = images.Take(r.GetValue(maxImages)).ToList();
            using var model = SamModel.FromCheckpoint(config, r.GetValue(checkpoint)!);
            model.to(device);
            var clock = Stopwatch.StartNew();
            SamPointScore points = null!;
            SamGridScore? gridScore = null;
            SamEverythingScore? everything = null;
            Term.Err.Status().Start($"single-click prompts on {images.Count} images", ctx =>
            {
                points = SamPromptEvaluation.PointPrompts(model, images);
                if (r.GetValue(grid) > 0)
                {
                    ctx.Status($"{r.GetValue(grid)}x{r.GetValue(grid)} point grid on {images.Count} images");
                    gridScore = SamPromptEvaluation.Grid(model, images, r.GetValue(grid), predIouThresh: r.GetValue(predIou), stabilityThresh: r.GetValue(stability));
                }
                if (r.GetValue(amg) > 0)
                {
                    ctx.Status($"automatic mask generator ({r.GetValue(amg)} points per side) on {images.Count} images");
                    everything = SamPromptEvaluation.Everything(model, images, new AutomaticMaskGeneratorConfig
                    {
                        PointsPerSide = r.GetValue(amg), PredIouThresh = r.GetValue(predIou), StabilityScoreThresh = r.GetValue(stability),
                    });
                }
            });
            say.MarkupLine($"single click (most interior pixel), {points.Objects} objects on {points.Images} images: " +
                $"mIoU {points.MeanIou:F4} (highest predicted IoU of 3), oracle {points.OracleMeanIou:F4}, single output {points.SingleOutputMeanIou:F4}");
            if (gridScore is { } g)
                say.MarkupLine($"{g.PointsPerSide}x{g.PointsPerSide} grid: objects with a mask of IoU >= 0.5: {g.Recall50:P1} " +
                    $"(mean best IoU {g.MeanBestIou:F4}); after the filters pred IoU >= {g.PredIouThresh} and stability >= {g.StabilityThresh}: " +
                    $"{g.FilteredRecall50:P1} (mean best IoU {g.FilteredMeanBestIou:F4}, {g.MeanKeptMasksPerImage:F1} masks/image before NMS)");
            if (everything is { } e)
                say.MarkupLine($"automatic mask generator ({e.PointsPerSide} points per side, pred IoU >= {r.GetValue(predIou)}, stability >= {r.GetValue(stability)}): objects with a mask of IoU >= 0.5: " +
                    $"{e.Recall50:P1} (mean best IoU {e.MeanBestIou:F4}, {e.MeanMasksPerImage:F1} masks/image)");
            say.MarkupLine($"{clock.Elapsed.TotalSeconds:F1} s");
            if (r.GetValue(json) is { } jp)
                outputs.WriteText(jp, JsonSerializer.Serialize(new
                {
                    model_type = config.Name,
                    checkpoint = r.GetValue(checkpoint),
                    data = r.GetValue(data),
                    split = r.GetValue(split),
                    images = images.Count,
                    pred_iou_thresh = r.GetValue(predIou),
                    stability_thresh = r.GetValue(stability),
                    point = points,
                    grid = gridScore,
                    automatic_mask_generator = everything,
                    timings_ms = new { total = clock.Elapsed.TotalMilliseconds },
                    threads = torch.get_num_threads(),
                }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
            outputs.Commit();
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
