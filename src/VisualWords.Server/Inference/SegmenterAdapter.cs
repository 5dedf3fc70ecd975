using VisualWords.Imaging;
using VisualWords.Segmenter;

namespace VisualWords.Server.Inference;

/// <summary>
/// The server's only contact with <see cref="ReferringSegmenter"/> and <see cref="ImageSession"/>:
/// when their API changes, this file changes and nothing else in the server does.
/// </summary>
public sealed class SegmenterAdapter : IDisposable
{
    // The prompt around the visual tokens ("USER: ... What is ... ASSISTANT:") is a few dozen
    // tokens; this bounds it for the KV-cache size estimate.
    const int PromptTokensBound = 64;

    readonly ReferringSegmenter _segmenter;

    /// <summary>Patch tokens a patch projector would give the LLM for one image (what the visual words replace).</summary>
    public int PatchTokens { get; }

    SegmenterAdapter(ReferringSegmenter segmenter)
    {
        _segmenter = segmenter;
        var size = segmenter.Model.Config.VisionSize;
        var (gh, gw) = segmenter.Model.vision_tower.GridSize(size, size);
        PatchTokens = gh * gw;
    }

    public static SegmenterAdapter Load(string folder) => new(ReferringSegmenter.Load(folder));

    /// <summary>The per-image work: SAM embedding, visual words, visual tokens and the LLM prefix.</summary>
    public OpenedImage Open(RgbImage image)
    {
        var session = _segmenter.Open(image);
        return new OpenedImage(session, PatchTokens, EstimateBytes(session));
    }

    /// <summary>Native and managed bytes a session holds: SAM embedding, prefix KV cache, pixels, label map.</summary>
    long EstimateBytes(ImageSession session)
    {
        var config = _segmenter.Model.Config;
        var sam = config.SamConfig;
        long embedding = 4L * sam.PromptEmbedDim * sam.EmbeddingSize * sam.EmbeddingSize;
        var llm = _segmenter.Model.llm.Config;
        long headDim = llm.HiddenSize / llm.NumAttentionHeads;
        long kv = 2L * 4 * llm.NumHiddenLayers * llm.NumKeyValueHeads * headDim * (session.VisualTokenCount + PromptTokensBound);
        return embedding + kv + session.Image.Pixels.Length + 4L * session.Partition.Labels.Length;
    }

    public void Dispose() => _segmenter.Dispose();
}

/// <summary>One image, opened once and segmented for any number of expressions.</summary>
public sealed class OpenedImage : IDisposable
{
    readonly ImageSession _session;
    readonly Lazy<RgbImage> _wordsOverlay;

    public int Width => _session.Image.Width;
    public int Height => _session.Image.Height;
    public int VisualTokens => _session.VisualTokenCount;
    public int PatchTokens { get; }
    public long EstimatedBytes { get; }
    public OpenTimings Timings { get; }

    internal OpenedImage(ImageSession session, int patchTokens, long estimatedBytes)
    {
        _session = session;
        PatchTokens = patchTokens;
        EstimatedBytes = estimatedBytes;
        var (encoder, words, prefix) = session.OpenMilliseconds;
        Timings = new OpenTimings(encoder, words, prefix);
        _wordsOverlay = new Lazy<RgbImage>(DrawWords, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public ExpressionAnswer Segment(string expression)
    {
        var r = _session.Segment(expression);
        // The first mask's grounded words; none without [SEG] (or from a model that does not ground).
        var words = r.Words.Count > 0 ? r.Words[0].Select(w => new ChosenWord(w.Region, w.Score)).ToList() : [];
        return new ExpressionAnswer(r.Answer, r.Mask, r.Masks.Count, words, r.LlmMilliseconds, r.DecoderMilliseconds);
    }

    /// <summary>
    /// The image's visual words drawn as <c>segment --words-overlay</c> draws them (<see cref="Superpixels.WordsOverlay"/>):
    /// coloured, with a legend of word ids; the <paramref name="chosen"/> words (id → score) outlined and the
    /// others faded. Without chosen words the drawing is made once per session and kept.
    /// </summary>
    public RgbImage WordsOverlay(IReadOnlyDictionary<int, double>? chosen = null) =>
        chosen is null || chosen.Count == 0 ? _wordsOverlay.Value : Superpixels.WordsOverlay.Draw(_session.Image, _session.Partition, chosen);

    RgbImage DrawWords() => Superpixels.WordsOverlay.Draw(_session.Image, _session.Partition);

    public void Dispose() => _session.Dispose();
}

/// <summary>Milliseconds of the per-image stages.</summary>
public sealed record OpenTimings(double SamEncoder, double VisualWords, double Prefix);

/// <summary>A visual word (superpixel region id, as in the words overlay) the mask grounds on, and its score (a logit).</summary>
public sealed record ChosenWord(int Region, double Score);

/// <summary>One expression's answer: the text, the first mask (all false without [SEG]), how many masks, the grounding words and stage times.</summary>
public sealed record ExpressionAnswer(string Answer, bool[] Mask, int MaskCount, IReadOnlyList<ChosenWord> Words, double LlmMilliseconds, double DecoderMilliseconds);
