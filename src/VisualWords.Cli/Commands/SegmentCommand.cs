using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Spectre.Console;
using VisualWords.Imaging;
using VisualWords.Segmenter;
using static TorchSharp.torch;

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
        var image = new Option<string>("--image") { Description = "Input image (JPEG, PNG, WebP, BMP).", Required = true };
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
        var overlay = new Option<string?>("--overlay") { Description = "Also write the image with the mask tinted over it (PNG)." };
        var words = new Option<string?>("--words-overlay") { Description = "Also write the visual words (superpixels) the model saw, coloured (PNG)." };
        var json = new Option<string?>("--json") { Description = "Also write answers, mask areas, visual-token count and timings (ms) as JSON." };

        var cmd = new Command("segment", "Segment what a referring expression describes (SAM + semantic visual words + LLM with [SEG]).");
        foreach (var o in new Option[] { model, image, expressions, output, overlay, words, json }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var device = GlobalOptions.Apply(r);
            var exprs = r.GetValue(expressions)!;
            if (exprs.Any(string.IsNullOrWhiteSpace)) throw new BadInputException("an --expression is empty");
            var img = ImageIO.Load(r.GetValue(image)!);
            var clock = Stopwatch.StartNew();
            using var segmenter = ReferringSegmenter.Load(r.GetValue(model)!, device);
            double loadMs = clock.Elapsed.TotalMilliseconds;
            using var session = segmenter.Open(img);
            var results = exprs.Select(session.Segment).ToList();

            var outPath = r.GetValue(output)!;
            var report = new List<object>();
            for (int i = 0; i < results.Count; i++)
            {
                var res = results[i];
                var path = results.Count == 1 ? outPath : Numbered(outPath, i + 1);
                ImageIO.SaveMaskPng(res.Mask, img.Width, img.Height, path);
                if (r.GetValue(overlay) is { } ov)
                {
                    using var m = tensor(res.Mask, [img.Height, img.Width]);
                    ImageIO.SavePng(Overlay.MaskOverlay(img, m, (30, 144, 255)), results.Count == 1 ? ov : Numbered(ov, i + 1));
                }
                long area = res.Mask.LongCount(b => b);
                AnsiConsole.MarkupLine($"[bold]{Markup.Escape(exprs[i])}[/] → {Markup.Escape(res.Answer)}  ({res.Masks.Count} mask(s), {area:N0} px) → {Markup.Escape(path)}");
                if (res.Masks.Count == 0) Console.Error.WriteLine($"warning: the model answered without [SEG] for \"{exprs[i]}\"; the mask is empty");
                report.Add(new
                {
                    expression = exprs[i], answer = res.Answer, masks = res.Masks.Count, area, mask = path,
                    words = res.Words.Select(ws => ws.Select(w => new { region = w.Region, score = w.Score })),
                    llm_ms = res.LlmMilliseconds, decoder_ms = res.DecoderMilliseconds,
                });
            }
            if (r.GetValue(words) is { } wpath)
            {
                using var labels = session.Partition.LabelTensor();
                ImageIO.SavePng(Overlay.LabelOverlay(img, labels), wpath);
            }
            var (enc, vw, prefix) = session.OpenMilliseconds;
            AnsiConsole.MarkupLine($"{session.VisualTokenCount} visual tokens; load {loadMs:F0} ms, SAM encoder {enc:F0} ms, visual words {vw:F0} ms, tokens + LLM prefix {prefix:F0} ms");
            if (r.GetValue(json) is { } jpath)
                File.WriteAllText(jpath, JsonSerializer.Serialize(new
                {
                    image = r.GetValue(image), width = img.Width, height = img.Height, visual_tokens = session.VisualTokenCount,
                    timings_ms = new { load = loadMs, sam_encoder = enc, visual_words = vw, prefix }, results = report,
                }, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static string Numbered(string path, int n) =>
        Path.Combine(Path.GetDirectoryName(path) ?? "", $"{Path.GetFileNameWithoutExtension(path)}-{n}{Path.GetExtension(path)}");
}
