using System.Diagnostics;
using VisualWords.Imaging;
using VisualWords.Language;
using VisualWords.Superpixels;
using static TorchSharp.torch;

namespace VisualWords.Segmenter;

/// <summary>The answer to one expression: the generated text, one mask per [SEG], and timings.</summary>
public sealed record SegmentResult(string Answer, IReadOnlyList<bool[]> Masks, int Width, int Height, double LlmMilliseconds, double DecoderMilliseconds)
{
    /// <summary>The first mask, or an empty one when the model answered without [SEG].</summary>
    public bool[] Mask => Masks.Count > 0 ? Masks[0] : new bool[Width * Height];
}

/// <summary>
/// Inference with a trained segmenter: <see cref="Open"/> does all per-image work once (SAM
/// embedding, visual words, visual tokens, and the LLM's KV cache of the prompt up to the end of
/// the image); <see cref="ImageSession.Segment"/> then costs only the text and the mask decoder.
/// </summary>
public sealed class ReferringSegmenter : IDisposable
{
    public VisualWordsModel Model { get; }
    public IVisualWordSource Words { get; }
    public int MaxNewTokens { get; init; } = 16;

    public ReferringSegmenter(VisualWordsModel model)
    {
        Model = model;
        Model.eval();
        Words = VisualWordSources.Create(model.Config.Superpixels);
    }

    /// <summary>Our model folder (visualwords.json), or a LISA-format Hugging Face folder (config.json with mm_vision_tower).</summary>
    public static ReferringSegmenter Load(string folder) =>
        new(LisaCheckpoint.IsLisaFolder(folder) ? LisaCheckpoint.Load(folder) : SegmenterFolder.Load(folder));

    public ImageSession Open(RgbImage image) => new(this, image);

    public void Dispose() => Model.Dispose();

    /// <summary>The prompt for an expression, ending where the assistant's answer starts.</summary>
    internal ConversationSample Prompt(string expression, int visualTokens) =>
        new(ConversationTemplate.LlavaV1.Prompt(ReferringConversation.Question(expression, Model.Config.ImageStartEnd)), null, [visualTokens]);
}

public sealed class ImageSession : IDisposable
{
    readonly ReferringSegmenter _owner;
    readonly Tensor _embedding;
    readonly KvCache _prefix;
    readonly int _prefixLength;

    public RgbImage Image { get; }
    public (int H, int W) InputSize { get; }
    public SuperpixelPartition Partition { get; }
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
        var sw = Stopwatch.StartNew();
        var (pixels, inputSize) = m.SamInput(image);
        InputSize = inputSize;
        _embedding = m.SamEmbedding(pixels);
        double encoder = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        Partition = owner.Words.Partition(image, m, _embedding);
        double words = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        var visual = m.VisualTokens(m.VisionInput(image).unsqueeze(0), [Partition.LabelTensor()]);
        VisualTokenCount = (int)visual.Lengths[0];
        // Any expression gives the same prefix: the image ends before the expression's words start.
        using var packed = MultimodalPacker.Pack(m.Tokenizer, [_owner.Prompt("x", VisualTokenCount)]);
        _prefixLength = packed.ImageEnd[0];
        var embeds = MultimodalPacker.Embed(m.llm, packed, VisualWordsModel.FlattenTokens(visual)).narrow(1, 0, _prefixLength);
        _prefix = new KvCache(m.llm.Config.NumHiddenLayers);
        m.llm.Hidden(embeds, cache: _prefix);
        OpenMilliseconds = (encoder, words, sw.Elapsed.TotalMilliseconds);
        scope.Detach(_embedding);
    }

    /// <summary>Answers "What is {expression} in this image?" and decodes a mask for every [SEG] it says.</summary>
    public SegmentResult Segment(string expression)
    {
        var m = _owner.Model;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var sw = Stopwatch.StartNew();
        using var packed = MultimodalPacker.Pack(m.Tokenizer, [_owner.Prompt(expression, VisualTokenCount)]);
        if (packed.ImageEnd[0] != _prefixLength) throw new InvalidOperationException("prompt prefix changed between Open and Segment");
        var suffixIds = packed.InputIds.narrow(1, _prefixLength, packed.InputIds.shape[1] - _prefixLength);
        var suffix = m.llm.Embed(suffixIds);
        using var cache = _prefix.Fork();
        var options = new GenerationOptions { MaxNewTokens = _owner.MaxNewTokens, StopTokens = [m.Tokenizer.EosId] };
        var result = Generation.Generate(m.llm, suffix, options, cache: cache, collectHidden: true);
        var tokens = result.Tokens[0];
        long t = suffix.shape[1];
        var segSteps = tokens.Select((id, k) => (id, k)).Where(p => p.id == m.SegTokenId).Select(p => t - 1 + p.k).ToArray();
        double llm = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        var masks = new List<bool[]>();
        if (segSteps.Length > 0)
        {
            var segHidden = result.Hidden![0].index_select(0, tensor(segSteps));
            var lowRes = m.DecodeMasks(_embedding, segHidden);
            var full = m.Postprocess(lowRes, InputSize, (Image.Height, Image.Width)) > 0;
            for (int i = 0; i < segSteps.Length; i++) masks.Add(ImageTensors.MaskToArray(full[i]));
        }
        var answer = m.Tokenizer.Decode(tokens.Where(id => id != m.Tokenizer.EosId));
        return new SegmentResult(answer, masks, Image.Width, Image.Height, llm, sw.Elapsed.TotalMilliseconds);
    }

    public void Dispose()
    {
        _embedding.Dispose();
        _prefix.Dispose();
    }
}
