using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Spectre.Console;
using VisualWords.Imaging;
using VisualWords.Language;
using VisualWords.Segmenter;
using VisualWords.Superpixels;
using static TorchSharp.torch;

namespace VisualWords.Cli.Commands;

/// <summary><c>visualwords segment</c>: the main job — masks for referring expressions on one image.</summary>
public static class SegmentCommand
{
    /// <summary>The model shipped in the repository (models/visualwords-shapes), found via the launcher's VISUALWORDS_HOME.</summary>
    public static string DefaultModel =>
        Path.Combine(Environment.GetEnvironmentVariable("VISUALWORDS_HOME") ?? Directory.GetCurrentDirectory(), "models", "visualwords-shapes");

    /// <summary>
    /// The size large images are reduced to right after decoding: four times the model's SAM input
    /// (512 px for the shipped 128-px model), at most 1024 px unless SAM itself takes more. Everything
    /// mode then works on a small image instead of 12 megapixels; the masks are scaled back up.
    /// </summary>
    static int WorkingLongSide(ReferringSegmenter segmenter)
    {
        int sam = segmenter.Model.visual_model.Config.ImageSize;
        return Math.Max(sam, Math.Min(4 * sam, 1024));
    }

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
        foreach (var o in new Option[] { model, image, expressions, output, overlay, words, json }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var device = GlobalOptions.Apply(r);
            var exprs = r.GetValue(expressions)!;
            if (exprs.Any(string.IsNullOrWhiteSpace)) throw new BadInputException("an --expression is empty");
            var imagePath = r.GetValue(image)!;
            var maskPaths = Paths(r.GetValue(output)!, exprs.Length);
            var overlayPaths = r.GetValue(overlay) is { } ov ? Paths(ov, exprs.Length) : null;
            using var outputs = new OutputFiles().Input(imagePath);
            foreach (var p in maskPaths) outputs.File("--out", p);
            foreach (var p in overlayPaths ?? []) outputs.File("--overlay", p);
            outputs.File("--words-overlay", r.GetValue(words)).File("--json", r.GetValue(json), allowStdout: true);
            var say = Term.Results(outputs);

            ImageIO.CheckFile(imagePath);
            var modelDir = r.GetValue(model)!;
            var clock = Stopwatch.StartNew();
            using var segmenter = Term.Err.Status().Start("loading the model", _ => ReferringSegmenter.Load(modelDir, device));
            double loadMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            var (img, fullWidth, fullHeight) = ImageIO.Load(imagePath, WorkingLongSide(segmenter));
            double decodeMs = clock.Elapsed.TotalMilliseconds;
            if (img.Width != fullWidth)
                Term.Err.MarkupLine($"[grey]decoded the {fullWidth}x{fullHeight} image at {img.Width}x{img.Height} (the model works at {segmenter.Model.visual_model.Config.ImageSize} px); masks are written at {fullWidth}x{fullHeight}[/]");
            CheckExpressions(segmenter, exprs, visualTokens: 0, warn: true);
            if (IsShippedModel(modelDir) && ImageStatistics.FlatColourFraction(img) < PhotoThreshold)
                Term.Err.WriteLine("note: this looks like a photograph; the shipped model was trained only on synthetic ShapesWorld scenes, " +
                    "so expect a poor mask. For real images give --model a LISA-format folder with real weights (see README, \"Honest state\").");

            using var session = Term.Err.Status().Start($"encoding the image (SAM, visual words, LLM prefix)", _ => segmenter.Open(img));
            CheckExpressions(segmenter, exprs, session.VisualTokenCount, warn: false);
            var results = Term.Err.Status().Start("answering", _ => exprs.Select(session.Segment).ToList());

            var report = new List<object>();
            for (int i = 0; i < results.Count; i++)
            {
                var res = results[i];
                var full = MaskResize.Nearest(res.Mask, img.Width, img.Height, fullWidth, fullHeight);
                outputs.Write(maskPaths[i], s => ImageIO.WriteMaskPng(full, fullWidth, fullHeight, s));
                if (overlayPaths is not null)
                {
                    using var m = tensor(res.Mask, [img.Height, img.Width]);
                    outputs.Write(overlayPaths[i], s => ImageIO.WritePng(Overlay.MaskOverlay(img, m, (30, 144, 255)), s));
                }
                long area = full.LongCount(b => b);
                report.Add(new
                {
                    expression = exprs[i], answer = res.Answer, masks = res.Masks.Count, area, mask = maskPaths[i],
                    words = res.Words.Select(ws => ws.Select(w => new { region = w.Region, score = w.Score })),
                    timings_ms = new { llm = res.LlmMilliseconds, decoder = res.DecoderMilliseconds },
                });
            }
            if (r.GetValue(words) is { } wpath)
                outputs.Write(wpath, s => ImageIO.WritePng(WordsOverlay.Draw(img, session.Partition, ChosenWords(results)), s));
            var (enc, vw, prefix) = session.OpenMilliseconds;
            if (r.GetValue(json) is { } jpath)
                outputs.WriteText(jpath, JsonSerializer.Serialize(new
                {
                    image = imagePath, width = fullWidth, height = fullHeight, decoded_width = img.Width, decoded_height = img.Height,
                    visual_tokens = session.VisualTokenCount,
                    timings_ms = new { decode = decodeMs, load = loadMs, sam_encoder = enc, visual_words = vw, prefix }, results = report,
                }, new JsonSerializerOptions { WriteIndented = true }));
            outputs.Commit();

            for (int i = 0; i < results.Count; i++)
            {
                var res = results[i];
                say.MarkupLine($"[bold]{Markup.Escape(exprs[i])}[/] → {Markup.Escape(res.Answer)}  ({res.Masks.Count} mask(s), {res.Mask.LongCount(b => b):N0} px at {img.Width}x{img.Height}) → {Markup.Escape(maskPaths[i])}");
                if (res.Masks.Count == 0) Term.Err.WriteLine($"warning: the model answered without [SEG] for \"{exprs[i]}\"; the mask is empty");
            }
            say.MarkupLine($"{session.VisualTokenCount} visual tokens; load {loadMs:F0} ms, SAM encoder {enc:F0} ms, visual words {vw:F0} ms, tokens + LLM prefix {prefix:F0} ms");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Every word any mask of any expression was grounded on, with its best score.</summary>
    static Dictionary<int, double> ChosenWords(IEnumerable<SegmentResult> results)
    {
        var chosen = new Dictionary<int, double>();
        foreach (var w in results.SelectMany(r => r.Words).SelectMany(ws => ws))
            chosen[w.Region] = chosen.TryGetValue(w.Region, out var s) ? Math.Max(s, w.Score) : w.Score;
        return chosen;
    }

    /// <summary>Below this share of pixels in the 32 most frequent colours an image is taken for a photograph.</summary>
    const double PhotoThreshold = 0.6;

    static bool IsShippedModel(string modelDir) =>
        Path.GetFullPath(Path.TrimEndingDirectorySeparator(modelDir)) == Path.GetFullPath(DefaultModel);

    /// <summary>Warns about words the model's vocabulary lacks; refuses an expression the LLM's context cannot hold.</summary>
    static void CheckExpressions(ReferringSegmenter segmenter, string[] exprs, int visualTokens, bool warn)
    {
        var tokenizer = segmenter.Model.Tokenizer;
        int context = segmenter.Model.llm.Config.MaxPositionEmbeddings;
        foreach (var e in exprs)
        {
            var unknown = tokenizer.UnknownWords(e);
            if (warn && unknown.Count > 0)
                Term.Err.WriteLine($"warning: the model does not know the word(s) {string.Join(", ", unknown.Select(w => $"'{w}'"))} in \"{e}\" (they become <unk>)");
            // The <image> placeholder stands for the visual tokens; the answer may take MaxNewTokens more.
            int tokens = tokenizer.Encode(ConversationTemplate.LlavaV1.Prompt(ReferringConversation.Question(e))).Count - 1 + visualTokens + segmenter.MaxNewTokens;
            if (tokens > context)
                throw new BadInputException($"the expression \"{Shorten(e)}\" is too long: with the prompt{(visualTokens > 0 ? $", {visualTokens} visual tokens" : "")} " +
                    $"and room for the answer it needs {tokens} tokens, the model's context holds {context}");
        }
    }

    static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";

    static string[] Paths(string path, int count) =>
        count == 1 ? [path] : Enumerable.Range(1, count).Select(n => Numbered(path, n)).ToArray();

    static string Numbered(string path, int n) =>
        Path.Combine(Path.GetDirectoryName(path) ?? "", $"{Path.GetFileNameWithoutExtension(path)}-{n}{Path.GetExtension(path)}");
}
