using System.CommandLine;
using Spectre.Console;
using VisualWords.Data;
using VisualWords.Evaluation;
using VisualWords.Segmenter;
using VisualWords.Superpixels;

namespace VisualWords.Cli.Commands;

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
            var dataset = ReferDataset.Open(r.GetValue(data)!, r.GetValue(refs), r.GetValue(images));
            // Trained models first, the baselines beside them in the same report.
            var models = (r.GetValue(checkpoint) ?? []).SelectMany(c => Predictors(c, r.GetValue(maskFrom)!, device)).ToList();
            using var disposeModels = new CompositeDisposable(models);
            var predictors = models.Cast<IReferringPredictor>()
                .Concat(Baselines(r.GetValue(baseline)!, ParseSuperpixels(r.GetValue(superpixels)!), r.GetValue(seed))).ToList();
            EvaluationReport report = null!;
            Term.Err.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"eval {Markup.Escape(r.GetValue(split)!)}");
                    report = ReferringEvaluator.Evaluate(dataset, r.GetValue(split)!, predictors, r.GetValue(limit), r.GetValue(skip),
                        (done, total) => { task.MaxValue = total; task.Value = done; });
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

    /// <summary>One predictor per mask source asked for (a checkpoint without grounding has only its decoder).</summary>
    static IEnumerable<SegmenterPredictor> Predictors(string folder, string maskFrom, TorchSharp.torch.Device device)
    {
        if (maskFrom is not ("model" or "decoder" or "words" or "both"))
            throw new BadInputException($"--mask-from '{maskFrom}': use model, decoder, words or both");
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        if (maskFrom == "model") { yield return new SegmenterPredictor(ReferringSegmenter.Load(folder, device), name); yield break; }
        foreach (var from in maskFrom == "both" ? [MaskSource.Decoder, MaskSource.Words] : new[] { maskFrom == "words" ? MaskSource.Words : MaskSource.Decoder })
        {
            var segmenter = ReferringSegmenter.Load(folder, device);
            if (from == MaskSource.Words && !segmenter.Model.Config.Grounding)
            {
                segmenter.Dispose();
                throw new BadInputException($"--mask-from words: {folder} does not ground its answers in visual words");
            }
            yield return new SegmenterPredictor(new ReferringSegmenter(segmenter.Model) { MaskFrom = from }, $"{name} ({from.ToString().ToLowerInvariant()} mask)");
        }
    }

    static IReadOnlyList<IReferringPredictor> Baselines(string names, ISuperpixelizer superpixels, long seed)
    {
        if (names.Trim() == "none") return [];
        var list = names.Trim() == "all" ? ["whole", "largest", "random"] : names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return list.Distinct().Select<string, IReferringPredictor>(n => n switch
        {
            "whole" => new WholeImageBaseline(),
            "largest" => new LargestSuperpixelBaseline(superpixels),
            "random" => new RandomSuperpixelBaseline(superpixels, seed),
            _ => throw new BadInputException($"--baseline: unknown baseline '{n}' (use whole, largest, random or all)"),
        }).ToList();
    }

    static ISuperpixelizer ParseSuperpixels(string text)
    {
        var parts = text.Split(':');
        if (parts is ["grid", var n] && int.TryParse(n, out int cells) && cells >= 1) return new GridSuperpixelizer(cells);
        if (parts is ["slic"]) return new SlicSuperpixelizer();
        throw new BadInputException($"--superpixels '{text}': use grid:N with N >= 1, or slic");
    }

    sealed class CompositeDisposable(IEnumerable<IDisposable> items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var i in items) i.Dispose();
        }
    }
}
