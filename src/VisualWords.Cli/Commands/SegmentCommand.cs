using System.CommandLine;
using Spectre.Console;
using VisualWords.Segmenter;

namespace VisualWords.Cli.Commands;

/// <summary><c>visualwords segment</c>: the main job — masks for referring expressions on one image.</summary>
public static class SegmentCommand
{
    /// <summary>The model shipped in the repository (models/visualwords-shapes), found via the launcher's VISUALWORDS_HOME.</summary>
    public static string DefaultModel =>
        Path.Combine(Environment.GetEnvironmentVariable("VISUALWORDS_HOME") ?? Directory.GetCurrentDirectory(), "models", "visualwords-shapes");

    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "Model folder (visualwords.json, tokenizer, model.safetensors), or a LISA-format Hugging Face folder (config.json with mm_vision_tower; its CLIP folder named by mm_vision_tower next to it). Default: the shipped models/visualwords-shapes.",
            DefaultValueFactory = _ => DefaultModel,
        };
        var image = new Option<string>("--image") { Description = "Input image (JPEG, PNG, WebP, BMP). Large photos are decoded downscaled to what the model needs.", Required = true };
        var expressions = new Option<string[]>("--expression", "-e")
        {
            Description = "What to segment, e.g. \"the small red circle left of the blue square\". Repeatable: the image is encoded once.",
            Required = true,
        };
        var output = new Option<string>("--out")
        {
            Description = "Mask PNG (original size, 0/255). With several expressions, -1, -2, ... are inserted before the extension.",
            Required = true,
        };
        var overlay = new Option<string?>("--overlay") { Description = "Also write the image with the mask tinted and outlined over it (PNG, at the decoded size)." };
        var words = new Option<string?>("--words-overlay")
        {
            Description = "Also write the visual words (superpixels) the model saw, coloured, with a legend (word id -> colour); the words the masks were grounded on are outlined and labelled, the others faded (PNG, small images scaled up to 512 px).",
        };
        var json = new Option<string?>("--json") { Description = "Also write answers, mask areas, visual-token count and timings_ms as JSON ('-' = stdout; the summary lines then go to stderr)." };

        var cmd = new Command("segment", "Segment what a referring expression describes (SAM + semantic visual words + LLM with [SEG]).");
        var samDtype = SamDtypeOption.Create();
        foreach (var o in new Option[] { model, image, expressions, output, overlay, words, json, samDtype }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var device = GlobalOptions.Apply(r);
            var exprs = r.GetValue(expressions)!;
            if (exprs.Any(string.IsNullOrWhiteSpace)) throw new BadInputException("an --expression is empty");
            var imagePath = r.GetValue(image)!;
            var maskPaths = SegmentRun.NumberedPaths(r.GetValue(output)!, exprs.Length);
            var overlayPaths = r.GetValue(overlay) is { } ov ? SegmentRun.NumberedPaths(ov, exprs.Length) : null;
            using var outputs = new OutputFiles().Input(imagePath);
            foreach (var p in maskPaths) outputs.File("--out", p);
            foreach (var p in overlayPaths ?? []) outputs.File("--overlay", p);
            outputs.File("--words-overlay", r.GetValue(words)).File("--json", r.GetValue(json), allowStdout: true);
            var say = Term.Results(outputs);

            var modelDir = r.GetValue(model)!;
            var request = new SegmentRun.Request(modelDir, imagePath, exprs, maskPaths, overlayPaths, r.GetValue(words), IsShippedModel(modelDir),
                SamDtypeOption.Parse(r.GetValue(samDtype)));
            var result = SegmentRun.Run(request, device, outputs.Write, Term.Feedback);
            var report = result.Report;
            if (r.GetValue(json) is { } jpath) outputs.WriteText(jpath, report.ToJson());
            outputs.Commit();

            for (int i = 0; i < report.Results.Count; i++)
            {
                var e = report.Results[i];
                say.MarkupLine($"[bold]{Markup.Escape(e.Expression)}[/] → {Markup.Escape(e.Answer)}  ({e.Masks} mask(s), {result.DecodedArea(i):N0} px at {report.DecodedWidth}x{report.DecodedHeight}) → {Markup.Escape(e.Mask)}");
                if (e.Masks == 0) Term.Err.WriteLine($"warning: the model answered without [SEG] for \"{e.Expression}\"; the mask is empty");
            }
            var t = report.TimingsMs;
            say.MarkupLine($"{report.VisualTokens} visual tokens; load {t.Load:F0} ms, SAM encoder {t.SamEncoder:F0} ms, visual words {t.VisualWords:F0} ms, tokens + LLM prefix {t.Prefix:F0} ms");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static bool IsShippedModel(string modelDir) =>
        Path.GetFullPath(Path.TrimEndingDirectorySeparator(modelDir)) == Path.GetFullPath(DefaultModel);
}
