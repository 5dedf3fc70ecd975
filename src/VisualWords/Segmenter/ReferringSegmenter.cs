using TorchSharp;
using System.Diagnostics;
using VisualWords.Imaging;
using VisualWords.Language;
using VisualWords.Superpixels;
using static TorchSharp.torch;

namespace VisualWords.Segmenter;

/// <summary>A visual word the answer grounds in: its region id and score (logit; chosen when above 0, or the best).</summary>
public sealed record GroundedWord(int Region, double Score);

/// <summary>The answer to one expression: the generated text, one mask per [SEG] (with its grounded words), and timings.</summary>
public sealed record SegmentResult(string Answer, IReadOnlyList<bool[]> Masks, IReadOnlyList<IReadOnlyList<GroundedWord>> Words,
    int Width, int Height, double LlmMilliseconds, double DecoderMilliseconds)
{
    /// <summary>The first mask, or an empty one when the model answered without [SEG].</summary>
    public bool[] Mask => Masks.Count > 0 ? Masks[0] : new bool[Width * Height];
}

/// <summary>
/// Inference with a trained segmenter: <see cref="Open"/> does all per-image work once (SAM
/// embedding, visual words, visual tokens, and the LLM's KV cache of the prompt up to the end of
/// the image); <see cref="ImageSession.Segment"/> then costs only the text and the mask decoder.
/// Every step is <see cref="VisualWordsModel"/>'s, the same that training runs.
/// </summary>
public sealed class ReferringSegmenter : IDisposable
{
    public VisualWordsModel Model { get; }
    public int MaxNewTokens { get; init; } = 16;
    /// <summary>Overrides the model's <see cref="VisualWordsConfig.MaskFrom"/> (evaluation compares both).</summary>
    public MaskSource? MaskFrom { get; init; }

    public ReferringSegmenter(VisualWordsModel model, Device? device = null)
    {
        Model = model;
        if (device is not null) Model.to(device);
        Model.eval();
    }

    /// <summary>Our model folder (visualwords.json), or a LISA-format Hugging Face folder (config.json with mm_vision_tower), on <paramref name="device"/> (default CPU).</summary>
    public static ReferringSegmenter Load(string folder, Device? device = null) =>
        new(LisaCheckpoint.IsLisaFolder(folder) ? LisaCheckpoint.Load(folder) : SegmenterFolder.Load(folder), device);

    public ImageSession Open(RgbImage image) => new(this, image);

    public void Dispose() => Model.Dispose();
}

public sealed class ImageSession : IDisposable
{
    readonly ReferringSegmenter _owner;
    readonly KvCache _prefix;
    readonly int _prefixLength;
    readonly Tensor? _wordStates, _wordTokens, _wordDescriptors;

    public RgbImage Image { get; }
    /// <summary>The per-image inputs (SAM embedding, visual words, ...), shared by every expression.</summary>
    public ImageInputs Inputs { get; }
    public (int H, int W) InputSize => Inputs.InputSize;
    public SuperpixelPartition Partition => Inputs.Partition;
    public int VisualTokenCount { get; }
    /// <summary>Milliseconds spent in Open: SAM encoder, visual words, vision tower + projector + LLM prefix.</summary>
    public (double Encoder, double Words, double Prefix) OpenMilliseconds { get; }

    internal ImageSession(ReferringSegmenter owner, RgbImage image)
    {
        _owner = owner;
        Image = image;
        var m = owner.Model;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        Inputs = m.Encode(image);
        var sw = Stopwatch.StartNew();
        var visual = m.VisualTokens([Inputs]);
        VisualTokenCount = (int)visual.Lengths[0];
        // Any expression gives the same prefix: the image ends before the expression's words start.
        using var packed = MultimodalPacker.Pack(m.Tokenizer, [m.Conversation("x", VisualTokenCount, withAnswer: false)]);
        _prefixLength = packed.ImageEnd[0];
        var embeds = MultimodalPacker.Embed(m.llm, packed, VisualWordsModel.FlattenTokens(visual)).narrow(1, 0, _prefixLength);
        _prefix = new KvCache(m.llm.Config.NumHiddenLayers);
        var hidden = m.llm.Hidden(embeds, cache: _prefix);
        if (m.grounding is not null)
        {
            // Grounding's keys: the prefix's output states at the visual words, and the words' tokens.
            _wordStates = scope.MoveToOuter(VisualWordsModel.WordStates(hidden, packed, visual));
            _wordTokens = scope.MoveToOuter(visual.Tokens.clone());
            _wordDescriptors = visual.Descriptors is null ? null : scope.MoveToOuter(visual.Descriptors.clone());
        }
        OpenMilliseconds = (Inputs.EncoderMilliseconds, Inputs.WordsMilliseconds, sw.Elapsed.TotalMilliseconds);
    }

    /// <summary>Answers "What is {expression} in this image?" and decodes a mask for every [SEG] it says.</summary>
    public SegmentResult Segment(string expression)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);   // a disposed session's prefix is gone: never answer without the image
        var m = _owner.Model;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var sw = Stopwatch.StartNew();
        using var packed = MultimodalPacker.Pack(m.Tokenizer, [m.Conversation(expression, VisualTokenCount, withAnswer: false)]);
        if (packed.ImageEnd[0] != _prefixLength) throw new InvalidOperationException("prompt prefix changed between Open and Segment");
        var suffixIds = packed.InputIds.narrow(1, _prefixLength, packed.InputIds.shape[1] - _prefixLength);
        var suffix = m.llm.Embed(suffixIds);
        using var cache = _prefix.Fork();
        var options = new GenerationOptions { MaxNewTokens = _owner.MaxNewTokens, StopTokens = [m.Tokenizer.EosId] };
        var result = Generation.Generate(m.llm, suffix, options, cache: cache, collectHidden: true);
        var tokens = result.Tokens[0];
        int t = (int)suffix.shape[1];
        // Hidden index j is suffix position j; generated token k sits at position t + k.
        var segSteps = tokens.Select((id, k) => (id, k)).Where(p => p.id == m.SegTokenId)
            .Select(p => (long)PackedBatch.SegHiddenPosition(t + p.k)).ToArray();
        double llm = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        var masks = new List<bool[]>();
        var words = new List<IReadOnlyList<GroundedWord>>();
        if (segSteps.Length > 0)
        {
            var segHidden = result.Hidden![0].index_select(0, tensor(segSteps));
            var images = Enumerable.Repeat(Inputs, segSteps.Length).ToList();
            // The question's output states: the suffix up to the answer (positions 0 .. t-1 of the collected states).
            var grounding = _wordStates is null ? null
                : new GroundingInputs(_wordStates, _wordTokens!, result.Hidden![0].narrow(0, 0, t).unsqueeze(0), ones(1, t), _wordDescriptors).Expand(segSteps.Length);
            var decoded = m.DecodeSeg(images, segHidden, grounding);
            var (full, chosen) = m.FinalMasks(images, decoded, _owner.MaskFrom);
            for (int i = 0; i < segSteps.Length; i++)
            {
                masks.Add(ImageTensors.MaskToArray(full[i]));
                var scores = decoded.WordScores?[i].cpu().contiguous().data<float>().ToArray();
                words.Add(chosen[i].Select(r => new GroundedWord(r, scores![r])).ToList());
            }
        }
        var answer = m.Tokenizer.Decode(tokens.Where(id => id != m.Tokenizer.EosId));
        return new SegmentResult(answer, masks, words, Image.Width, Image.Height, llm, sw.Elapsed.TotalMilliseconds);
    }

    bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Inputs.Dispose();
        _prefix.Dispose();
        _wordStates?.Dispose();
        _wordTokens?.Dispose();
        _wordDescriptors?.Dispose();
    }
}
