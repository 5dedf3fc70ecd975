using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using TorchSharp;
using VisualWords.Data;
using VisualWords.Evaluation;
using VisualWords.Sam.Amg;
using VisualWords.Superpixels;

namespace VisualWords.Cli.Commands;

/// <summary>
/// <c>visualwords superpixels eval</c>: the standard superpixel metrics of one method on the instance
/// masks of a refer/COCO-format split (<see cref="SuperpixelEvaluation"/>).
/// </summary>
public static class SuperpixelsEvalCommand
{
    public static Command Create()
    {
        var opts = new SuperpixelOptions();
        var data = new Option<string>("--data") { Description = "Refer-format dataset folder (instances.json, refs(NAME).json, images/).", Required = true };
        var split = new Option<string>("--split") { Description = "Split whose images are scored (every annotated object on them).", DefaultValueFactory = _ => "val" };
        var maxImages = new Option<int>("--max-images") { Description = "Score only the first N images of the split (0: all).", DefaultValueFactory = _ => 0 };
        var json = new Option<string?>("--json") { Description = "Also write the scores and settings as JSON ('-' = stdout; the table then goes to stderr)." };
        var cmd = new Command("eval", "Score a superpixel method: ASA, boundary recall (2 px), under-segmentation error, " +
            "object recall at IoU >= 0.5 (small / large), regions and milliseconds per image.");
        foreach (var o in new Option[] { data, split, maxImages, json }) cmd.Options.Add(o);
        opts.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var device = GlobalOptions.Apply(r);
            if (r.GetValue(maxImages) < 0) throw new BadInputException("--max-images must be 0 (all) or more");
            using var outputs = new OutputFiles().Input(r.GetValue(data)).File("--json", r.GetValue(json), allowStdout: true);
            var say = outputs.UsesStdout ? Console.Error : Console.Out;
            var images = InstanceImage.OfSplit(ReferDataset.Open(r.GetValue(data)!), r.GetValue(split)!);
            if (r.GetValue(maxImages) > 0) images = images.Take(r.GetValue(maxImages)).ToList();
            var (sp, settings, owned) = opts.Build(r, device, AmgMode.Fast);
            using var _ = owned;
            Term.Err.MarkupLine($"[grey]{Markup.Escape(sp.Name)}: {Markup.Escape(settings)}[/]");
            SuperpixelScore score = null!;
            Term.Err.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"{sp.Name} on {images.Count} images", maxValue: images.Count);
                    score = SuperpixelEvaluation.Run(sp, images, done => task.Value = done, Label(sp));
                });
            say.WriteLine(Table(score));
            if (r.GetValue(json) is { } path)
                outputs.WriteText(path, JsonSerializer.Serialize(new
                {
                    data = r.GetValue(data),
                    split = r.GetValue(split),
                    settings,
                    boundary_tolerance_px = 2,
                    small_object_fraction = SuperpixelEvaluation.SmallObjectFraction,
                    threads = torch.get_num_threads(),
                    score,
                }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
                    NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
            outputs.Commit();
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>A Markdown table (stdout stays readable when redirected, and pastes into docs as is).</summary>
    static string Table(SuperpixelScore s) => string.Join('\n',
        "| method | images | ASA | BR (2 px) | UE | object recall (n) | small (n) | large (n) | regions/image | ms/image | CPU ms/image |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        $"| {s.Method} | {s.Images} | {F(s.Asa)} | {F(s.BoundaryRecall)} | {F(s.UndersegmentationError)} | " +
        $"{F(s.ObjectRecall)} ({s.Objects}) | {F(s.SmallObjectRecall)} ({s.SmallObjects}) | {F(s.LargeObjectRecall)} ({s.LargeObjects}) | " +
        $"{s.RegionsPerImage:F1} | {s.MillisecondsPerImage:F1} | {s.CpuMillisecondsPerImage:F1} |");

    /// <summary>The method's name, with the everything mode for the semantic method.</summary>
    static string Label(ISuperpixelizer sp) => sp switch
    {
        SemanticSuperpixelizer s => $"{sp.Name} ({s.Generator.Config.Mode.ToString().ToLowerInvariant()})",
        SlicSuperpixelizer s => $"slic ({s.Config.Segments} segments)",
        _ => SuperpixelMasks.Describe(sp),
    };

    static string F(double v) => double.IsNaN(v) ? "-" : v.ToString("F4");
}
