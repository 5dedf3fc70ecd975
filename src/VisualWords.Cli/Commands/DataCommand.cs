using System.CommandLine;
using Spectre.Console;
using VisualWords.Data;

namespace VisualWords.Cli.Commands;

public static class DataCommand
{
    public static Command Create()
    {
        var cmd = new Command("data", "Make and inspect referring-segmentation datasets (refer layout).");
        cmd.Subcommands.Add(Shapes());
        cmd.Subcommands.Add(Info());
        return cmd;
    }

    static Command Info()
    {
        var data = new Option<string>("--data") { Description = "Refer-format dataset folder (refs(NAME).p or .json, instances.json, images/).", Required = true };
        var images = new Option<string?>("--images") { Description = "Image folder (default: DATA/images if it exists, else DATA)." };
        var refs = new Option<string?>("--refs") { Description = "NAME of refs(NAME) when the folder holds several (e.g. unc, umd, google)." };
        var cmd = new Command("info", "Summarise a refer-format dataset: refs, sentences and images per split, and image files missing.");
        foreach (var o in new Option[] { data, images, refs }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            GlobalOptions.Apply(r);
            var ds = ReferDataset.Open(r.GetValue(data)!, r.GetValue(refs), r.GetValue(images));
            var t = new Table().AddColumn("split");
            foreach (var c in new[] { "refs", "sentences", "images", "images missing" }) t.AddColumn(new TableColumn(c).RightAligned());
            foreach (var split in ds.Splits)
            {
                var splitRefs = ds.RefsOf(split);
                var imageIds = splitRefs.Select(x => x.ImageId).Distinct().ToList();
                int missing = imageIds.Count(id => !File.Exists(Path.Combine(ds.ImageDirectory, ds.Instances.Images[id].FileName)));
                t.AddRow(Markup.Escape(split), splitRefs.Count.ToString(), splitRefs.Sum(x => x.Sentences.Count).ToString(),
                    imageIds.Count.ToString(), missing.ToString());
            }
            AnsiConsole.Write(t);
            AnsiConsole.MarkupLine($"{ds.Refs.Count} refs, {ds.Refs.Sum(x => x.Sentences.Count)} sentences, {ds.Instances.Annotations.Count} annotations, " +
                                   $"{ds.Instances.Images.Count} images, {ds.Instances.Categories.Count} categories; refs from {Markup.Escape(Path.GetFileName(ds.RefsPath))}, images in {Markup.Escape(ds.ImageDirectory)}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Command Shapes()
    {
        var output = new Option<string>("--out") { Description = "Output folder (images/, instances.json, refs(shapes).json). An interrupted run resumes into the same folder.", Required = true };
        var count = new Option<int>("--count") { Description = "Number of images.", Required = true };
        var seed = new Option<long>("--seed") { Description = "Random seed; the dataset is a function of seed, count and options.", DefaultValueFactory = _ => 0 };
        var size = new Option<int>("--size") { Description = "Canvas side in pixels.", DefaultValueFactory = _ => 256 };
        var heldOut = new Option<string>("--held-out")
        {
            Description = "Comma-separated colour:shape pairs held out of training, referred to only in the compositional split ('none' for no such split).",
            DefaultValueFactory = _ => string.Join(',', ShapesWorldSpec.DefaultHeldOut.Select(p => $"{p.Colour}:{p.Shape}")),
        };
        var workers = new Option<int>("--workers") { Description = "Parallel image workers (default: all cores).", DefaultValueFactory = _ => 0 };
        var cmd = new Command("shapes", "Generate a ShapesWorld synthetic referring dataset (PNG images, RLE masks, expressions; splits train/val/testA/testB/compositional).");
        foreach (var o in new Option[] { output, count, seed, size, heldOut, workers }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            GlobalOptions.Apply(r);
            var options = new ShapesWorldOptions { Size = r.GetValue(size), HeldOut = ParseHeldOut(r.GetValue(heldOut)!) };
            int n = r.GetValue(count);
            if (n < 1) throw new BadInputException($"--count {n}: make at least one image");
            if (r.GetValue(workers) < 0) throw new BadInputException("--workers must be 0 (all cores) or more");
            ShapesWorldSummary summary = null!;
            Term.Err.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("ShapesWorld images", maxValue: n);
                    // Workers report out of order; the bar only moves forward.
                    summary = ShapesWorldWriter.Write(r.GetValue(output)!, n, r.GetValue(seed), options, r.GetValue(workers),
                        done => { lock (task) task.Value = Math.Max(task.Value, done); });
                    task.Value = n;
                });
            var t = new Table().AddColumn("split").AddColumn(new TableColumn("images").RightAligned()).AddColumn(new TableColumn("refs").RightAligned());
            foreach (var split in new[] { "train", "val", "testA", "testB", "compositional" })
                t.AddRow(split, summary.ImagesPerSplit.GetValueOrDefault(split).ToString(), summary.RefsPerSplit.GetValueOrDefault(split).ToString());
            AnsiConsole.Write(t);
            AnsiConsole.MarkupLine($"{summary.Images} images ({summary.ImagesReused} already on disk), {summary.Sentences} sentences in {summary.Seconds:F1} s " +
                                   $"({summary.Images / summary.Seconds * 60:F0} images/min) -> {Markup.Escape(r.GetValue(output)!)}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static IReadOnlyList<(string Colour, string Shape)> ParseHeldOut(string text)
    {
        if (text.Trim() is "" or "none") return [];
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p =>
        {
            var parts = p.Split(':');
            if (parts.Length != 2) throw new BadInputException($"--held-out: '{p}' is not colour:shape");
            ShapesWorldSpec.ColourIndex(parts[0]);
            ShapesWorldSpec.ShapeIndex(parts[1]);
            return (parts[0], parts[1]);
        }).ToList();
    }
}
