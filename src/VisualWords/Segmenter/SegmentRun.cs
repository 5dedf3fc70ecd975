using System.Diagnostics;
using VisualWords.Imaging;
using VisualWords.Language;
using VisualWords.Superpixels;
using static TorchSharp.torch;

namespace VisualWords.Segmenter;

/// <summary>
/// <c>visualwords segment</c> as one call: load the model, decode the image at the model's working
/// size, check the expressions against the model's vocabulary and context, open the image once, answer
/// every expression, and write each mask at the original size (and the optional overlays) through the
/// caller's <c>write</c>, so the caller decides how files land (the CLI stages them and commits them
/// together). The returned report is what <c>--json</c> writes.
/// </summary>
public static class SegmentRun
{
    /// <param name="ModelDir">A model folder or a LISA-format folder (<see cref="ReferringSegmenter.Load"/>).</param>
    /// <param name="MaskPaths">One per expression (<see cref="NumberedPaths"/>); the report names them.</param>
    /// <param name="OverlayPaths">One per expression, or null for no mask overlays.</param>
    /// <param name="WordsOverlayPath">The visual words with a legend and the grounded words outlined (<see cref="WordsOverlay"/>), or null.</param>
    /// <param name="ShippedModel">The model is the shipped one, trained only on synthetic ShapesWorld scenes: a photograph gets a note.</param>
    public sealed record Request(string ModelDir, string ImagePath, IReadOnlyList<string> Expressions, IReadOnlyList<string> MaskPaths,
        IReadOnlyList<string>? OverlayPaths = null, string? WordsOverlayPath = null, bool ShippedModel = false,
        ScalarType SamEncoderDtype = ScalarType.Float32);

    /// <summary>The report, and each expression's answer at the decoded size (in the order asked).</summary>
    public sealed record Result(SegmentReport Report, IReadOnlyList<SegmentResult> Answers)
    {
        /// <summary>Pixels of expression <paramref name="i"/>'s first mask at the decoded size.</summary>
        public long DecodedArea(int i) => Answers[i].Mask.LongCount(b => b);
    }

    /// <summary>Below this share of pixels in the 32 most frequent colours an image is taken for a photograph.</summary>
    const double PhotoThreshold = 0.6;

    /// <summary>The colour of the mask in the mask overlays.</summary>
    static readonly (byte R, byte G, byte B) MaskColour = (30, 144, 255);

    /// <param name="write">Writes one output file (path, content); called for every mask, then the overlays.</param>
    public static Result Run(Request request, Device? device, Action<string, Action<Stream>> write, RunFeedback? feedback = null)
    {
        feedback ??= RunFeedback.None;
        var exprs = request.Expressions;
        if (request.MaskPaths.Count != exprs.Count || (request.OverlayPaths is { } o && o.Count != exprs.Count))
            throw new ArgumentException("one mask path (and overlay path) per expression");
        ImageIO.CheckFile(request.ImagePath);
        var clock = Stopwatch.StartNew();
        using var segmenter = feedback.Run("loading the model", () => ReferringSegmenter.Load(request.ModelDir, device));
        segmenter.Model.visual_model.SetEncoderDtype(request.SamEncoderDtype);
        double loadMs = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        var (img, fullWidth, fullHeight) = ImageIO.Load(request.ImagePath, WorkingLongSide(segmenter));
        double decodeMs = clock.Elapsed.TotalMilliseconds;
        if (img.Width != fullWidth)
            feedback.Note?.Invoke($"decoded the {fullWidth}x{fullHeight} image at {img.Width}x{img.Height} (the model works at {segmenter.Model.visual_model.Config.ImageSize} px); masks are written at {fullWidth}x{fullHeight}");
        CheckExpressions(segmenter, exprs, visualTokens: 0, feedback.Warning);
        if (request.ShippedModel && ImageStatistics.FlatColourFraction(img) < PhotoThreshold)
            feedback.Warning?.Invoke("note: this looks like a photograph; the shipped model was trained only on synthetic ShapesWorld scenes, " +
                "so expect a poor mask. For real images give --model a LISA-format folder with real weights (see README, \"Honest state\").");

        using var session = feedback.Run("encoding the image (SAM, visual words, LLM prefix)", () => segmenter.Open(img));
        CheckExpressions(segmenter, exprs, session.VisualTokenCount, warn: null);
        var results = feedback.Run("answering", () => exprs.Select(session.Segment).ToList());

        var entries = new List<SegmentExpressionReport>();
        for (int i = 0; i < results.Count; i++)
        {
            var res = results[i];
            var full = MaskResize.Nearest(res.Mask, img.Width, img.Height, fullWidth, fullHeight);
            write(request.MaskPaths[i], s => ImageIO.WriteMaskPng(full, fullWidth, fullHeight, s));
            if (request.OverlayPaths is { } overlays)
            {
                using var m = tensor(res.Mask, [img.Height, img.Width]);
                write(overlays[i], s => ImageIO.WritePng(Overlay.MaskOverlay(img, m, MaskColour), s));
            }
            entries.Add(new SegmentExpressionReport(exprs[i], res.Answer, res.Masks.Count, full.LongCount(b => b), request.MaskPaths[i],
                res.Words, new ExpressionTimings(res.LlmMilliseconds, res.DecoderMilliseconds)));
        }
        if (request.WordsOverlayPath is { } wordsPath)
            write(wordsPath, s => ImageIO.WritePng(WordsOverlay.Draw(img, session.Partition, ChosenWords(results)), s));
        var (enc, vw, prefix) = session.OpenMilliseconds;
        var report = new SegmentReport(request.ImagePath, fullWidth, fullHeight, img.Width, img.Height, session.VisualTokenCount,
            new SegmentTimings(decodeMs, loadMs, enc, vw, prefix), entries);
        return new Result(report, results);
    }

    /// <summary>The paths of <paramref name="count"/> outputs: <paramref name="path"/> itself for one, else -1, -2, ... before the extension.</summary>
    public static string[] NumberedPaths(string path, int count) =>
        count == 1 ? [path] : Enumerable.Range(1, count).Select(n => Numbered(path, n)).ToArray();

    static string Numbered(string path, int n) =>
        Path.Combine(Path.GetDirectoryName(path) ?? "", $"{Path.GetFileNameWithoutExtension(path)}-{n}{Path.GetExtension(path)}");

    /// <summary>Every word any mask of any expression was grounded on, with its best score (the words overlay outlines them).</summary>
    public static Dictionary<int, double> ChosenWords(IEnumerable<SegmentResult> results)
    {
        var chosen = new Dictionary<int, double>();
        foreach (var w in results.SelectMany(r => r.Words).SelectMany(ws => ws))
            chosen[w.Region] = chosen.TryGetValue(w.Region, out var s) ? Math.Max(s, w.Score) : w.Score;
        return chosen;
    }

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

    /// <summary>Warns about words the model's vocabulary lacks; refuses an expression the LLM's context cannot hold.</summary>
    static void CheckExpressions(ReferringSegmenter segmenter, IReadOnlyList<string> exprs, int visualTokens, Action<string>? warn)
    {
        var tokenizer = segmenter.Model.Tokenizer;
        int context = segmenter.Model.llm.Config.MaxPositionEmbeddings;
        foreach (var e in exprs)
        {
            var unknown = tokenizer.UnknownWords(e);
            if (warn is not null && unknown.Count > 0)
                warn($"warning: the model does not know the word(s) {string.Join(", ", unknown.Select(w => $"'{w}'"))} in \"{e}\" (they become <unk>)");
            // The <image> placeholder stands for the visual tokens; the answer may take MaxNewTokens more.
            int tokens = tokenizer.Encode(ConversationTemplate.LlavaV1.Prompt(ReferringConversation.Question(e))).Count - 1 + visualTokens + segmenter.MaxNewTokens;
            if (tokens > context)
                throw new BadInputException($"the expression \"{Shorten(e)}\" is too long: with the prompt{(visualTokens > 0 ? $", {visualTokens} visual tokens" : "")} " +
                    $"and room for the answer it needs {tokens} tokens, the model's context holds {context}");
        }
    }

    static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
