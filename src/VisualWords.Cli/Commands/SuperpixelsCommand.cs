using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using VisualWords.Sam.Amg;
using VisualWords.Superpixels;

namespace VisualWords.Cli.Commands;

/// <summary>
/// <c>visualwords superpixels</c>: semantic superpixels (or a baseline) for one image or a folder:
/// an overlay PNG, the region records and, for the semantic method, SAM's masks in the official format.
/// </summary>
public static class SuperpixelsCommand
{
    public static Command Create()
    {
        var opts = new SuperpixelOptions();
        var image = new Option<string>("--image") { Description = "An image, or a folder of images (then --out and the JSON options name folders).", Required = true };
        var output = new Option<string>("--out") { Description = "Overlay PNG with region colours and boundaries (a folder when --image is a folder).", Required = true };
        var json = new Option<string?>("--json") { Description = "Write the region records (id, area, bbox XYWH, centroid, source level, mask index) as JSON." };
        var masksJson = new Option<string?>("--masks-json") { Description = "Write SAM's everything-mode masks as the official generator's records with COCO RLE (semantic method)." };

        var cmd = new Command("superpixels", "Split an image into semantic superpixels (SAM everything mode) or a baseline partition.");
        cmd.Options.Add(image);
        cmd.Options.Add(output);
        cmd.Options.Add(json);
        cmd.Options.Add(masksJson);
        opts.AddTo(cmd);
        cmd.Subcommands.Add(SuperpixelsEvalCommand.Create());
        cmd.SetAction(r =>
        {
            var device = GlobalOptions.Apply(r);
            var input = r.GetValue(image)!;
            bool folder = Directory.Exists(input);
            if (!folder && !File.Exists(input)) throw new BadInputException($"--image '{input}' does not exist");
            using var outputs = new OutputFiles().Input(input);
            if (folder) outputs.Folder("--out", r.GetValue(output)).Folder("--json", r.GetValue(json)).Folder("--masks-json", r.GetValue(masksJson));
            else outputs.File("--out", r.GetValue(output)).File("--json", r.GetValue(json), allowStdout: true).File("--masks-json", r.GetValue(masksJson), allowStdout: true);
            if (r.GetValue(masksJson) is not null && opts.MethodName(r) != "semantic")
                throw new BadInputException("--masks-json needs --method semantic (the baselines make no SAM masks)");
            var say = Term.Results(outputs);
            var clock = Stopwatch.StartNew();
            // --masks-json promises the official generator's records: exact mode unless --mode says otherwise.
            var (sp, settings, owned) = Term.Err.Status().Start("loading", _ => opts.Build(r, device, r.GetValue(masksJson) is null ? AmgMode.Fast : AmgMode.Exact));
            double load = clock.Elapsed.TotalSeconds;
            using var _ = owned;
            Term.Err.MarkupLine($"[grey]{Markup.Escape(sp.Name)}: {Markup.Escape(settings)} (loaded in {load:F2} s)[/]");

            if (!folder)
            {
                if (sp is SemanticSuperpixelizer semantic) semantic.Generator.Progress = ProgressLine.Show;
                var s = SuperpixelRun.Image(sp, input, r.GetValue(output)!, r.GetValue(json), r.GetValue(masksJson), outputs.Write);
                ProgressLine.End();
                outputs.Commit();
                say.MarkupLine($"{Markup.Escape(Path.GetFileName(input))}: {s.Masks} masks -> {s.Regions} regions; " +
                    $"{Markup.Escape(s.Timing)}");
                return ExitCodes.Ok;
            }

            var files = SuperpixelRun.FolderImages(input, sp, settings);
            IReadOnlyList<(string Image, SuperpixelImageSummary S)> summaries = [];
            Term.Err.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new RemainingTimeColumn(), new SpinnerColumn()).Start(ctx =>
            {
                var task = ctx.AddTask($"superpixels ({files.Count} images)", maxValue: files.Count);
                summaries = SuperpixelRun.Folder(sp, input, files, r.GetValue(output)!, r.GetValue(json), r.GetValue(masksJson), _ => task.Increment(1));
            });
            var table = new Table().AddColumn("image").AddColumn("masks").AddColumn("regions").AddColumn("seconds");
            foreach (var (f, s) in summaries) table.AddRow(Markup.Escape(f), s.Masks.ToString(), s.Regions.ToString(), s.Seconds.ToString("F2"));
            say.Write(table);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}

/// <summary>
/// Everything mode's progress on stderr, one rewritten line, once a run has taken longer than a few
/// seconds (a large photo at 32 × 32 takes minutes on a CPU; a user should see where the time goes).
/// </summary>
static class ProgressLine
{
    const double AfterSeconds = 3;
    static bool _shown;

    public static void Show(AmgProgress p)
    {
        if (p.Seconds < AfterSeconds) return;
        _shown = true;
        var t = p.Timings;
        Console.Error.Write($"\reverything mode: {p.Prompts}/{p.GridPrompts} prompts, {p.Seconds:F1} s " +
            $"(decoder {t.Decoder:F1}, upscale {t.Upscale:F1}, filters {t.Filters:F1}, rle {t.Rle:F1})   ");
    }

    public static void End()
    {
        if (_shown) Console.Error.WriteLine();
        _shown = false;
    }
}
