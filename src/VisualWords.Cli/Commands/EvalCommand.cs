using System.CommandLine;
using Spectre.Console;
using VisualWords.Evaluation;

namespace VisualWords.Cli.Commands;

/// <summary><c>visualwords eval</c>: referring segmentation scores of models and baselines on a split (<see cref="EvalRun"/>).</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Refer-format dataset folder (refs(NAME).p or .json, instances.json, images/).", Required = true };
        var split = new Option<string>("--split") { Description = "Split to evaluate: train, val, test, testA, testB, compositional, ...", Required = true };
        var baseline = new Option<string>("--baseline")
        {
            Description = "Baselines to score: whole, largest, random, a comma-separated list, all, or none.",
            DefaultValueFactory = _ => "all",
        };
        var superpixels = new Option<string>("--superpixels")
        {
            Description = "Superpixels for the superpixel baselines: grid:N (an N x N grid) or slic (SLIC, default settings).",
            DefaultValueFactory = _ => "grid:8",
        };
        var json = new Option<string?>("--json") { Description = "Write the report as JSON here (and as Markdown beside it, .md; '-' = JSON on stdout only)." };
        var markdown = new Option<string?>("--markdown") { Description = "Write the Markdown report here instead of beside the JSON." };
        var limit = new Option<int?>("--limit") { Description = "Evaluate only the first N expressions." };
        var images = new Option<string?>("--images") { Description = "Image folder (default: DATA/images if it exists, else DATA)." };
        var refs = new Option<string?>("--refs") { Description = "NAME of refs(NAME) when the folder holds several (e.g. unc, umd, google)." };
        var skip = new Option<bool>("--skip-missing-images") { Description = "Leave out samples whose image file is missing (counted in the report) instead of failing." };
        var seed = new Option<long>("--seed") { Description = "Seed of the random-superpixel baseline.", DefaultValueFactory = _ => 0 };
        var checkpoint = new Option<string[]>("--checkpoint")
        {
            Description = "Trained model folder(s) to score beside the baselines (repeatable), e.g. models/visualwords-shapes.",
        };

        var maskFrom = new Option<string>("--mask-from")
        {
            Description = "For grounding models: score the mask as the model makes it (model), SAM's decoder output (decoder), the grounded visual words (words), or both decoder and words as two rows.",
            DefaultValueFactory = _ => "model",
        };

        var cmd = new Command("eval", "Score referring segmentation on a split: cIoU, gIoU, precision@0.5-0.9, visual tokens per image, latency; baselines in the same report.");
        foreach (var o in new Option[] { data, split, checkpoint, maskFrom, baseline, superpixels, json, markdown, limit, images, refs, skip, seed }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var device = GlobalOptions.Apply(r);
            string? jsonPath = r.GetValue(json), mdPath = r.GetValue(markdown);
            if (jsonPath is not null && jsonPath != OutputFiles.Stdout) mdPath ??= Path.ChangeExtension(jsonPath, ".md");
            using var outputs = new OutputFiles().Input(r.GetValue(data)).File("--json", jsonPath, allowStdout: true).File("--markdown", mdPath);
            var say = Term.Results(outputs);
            var request = new EvalRequest(r.GetValue(data)!, r.GetValue(split)!, r.GetValue(checkpoint) ?? [], r.GetValue(maskFrom)!, r.GetValue(baseline)!,
                r.GetValue(superpixels)!, r.GetValue(limit), r.GetValue(images), r.GetValue(refs), r.GetValue(skip), r.GetValue(seed));
            using var run = EvalRun.Open(request, device);
            EvaluationReport report = null!;
            Term.Err.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"eval {Markup.Escape(request.Split)}");
                    report = run.Evaluate((done, total) => { task.MaxValue = total; task.Value = done; });
                });
            report.Print(say);
            if (jsonPath is not null) outputs.WriteText(jsonPath, report.ToJson());
            if (mdPath is not null) outputs.WriteText(mdPath, report.ToMarkdown());
            outputs.Commit();
            foreach (var written in new[] { jsonPath, mdPath }.Where(p => p is not null && p != OutputFiles.Stdout))
                Term.Err.MarkupLine($"wrote {Markup.Escape(written!)}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
