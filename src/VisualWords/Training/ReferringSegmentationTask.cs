using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp.Modules;
using VisualWords.Checkpoints;
using VisualWords.Data;
using VisualWords.Imaging;
using VisualWords.Language;
using VisualWords.Segmenter;
using static TorchSharp.torch;

namespace VisualWords.Training;

/// <summary>The <c>model</c> section of a referring-segmentation training config.</summary>
public sealed record ReferringModelSection
{
    public string Kind { get; init; } = "referring";
    /// <summary>The segmenter's architecture (saved as visualwords.json in the model folder).</summary>
    public JsonElement Config { get; init; }
    /// <summary>Optional SAM weights to start from (e.g. models/shapes-sam/model.safetensors).</summary>
    public string? InitSam { get; init; }
    /// <summary>Optional whole-model folder to start from (fine-tuning).</summary>
    public string? Init { get; init; }
    public SegmentationLossWeights Loss { get; init; } = new();
}

/// <summary>The <c>data</c> section: a refer-format dataset and how to batch it.</summary>
public sealed record ReferringDataSection
{
    public string Dataset { get; init; } = "";
    public string TrainSplit { get; init; } = "train";
    public string ValSplit { get; init; } = "val";
    public int BatchSize { get; init; } = 8;
    /// <summary>Validation samples (the first N of the val split) scored by gIoU.</summary>
    public int ValSamples { get; init; } = 64;
}

/// <summary>
/// Trains the referring segmenter on a refer-format dataset: CE on "Sure, it is [SEG]." plus
/// BCE + Dice of the mask decoded from the [SEG] hidden state. Per-image work that needs no
/// gradients (SAM embedding, visual-word partition, resized pixels) is done once per image on the
/// worker threads and cached.
/// </summary>
public sealed class ReferringSegmentationTask : ITrainingTask
{
    readonly ReferringModelSection _modelSection;
    readonly ReferringDataSection _data;
    readonly ReferDataset _dataset;
    readonly IReadOnlyList<ReferSample> _train, _val;
    readonly IVisualWordSource _words;
    readonly ConcurrentDictionary<long, Lazy<ImageCache>> _cache = new();
    readonly long _seed;
    readonly List<Parameter> _trainable;

    public VisualWordsModel Segmenter { get; }
    public nn.Module Model => Segmenter;
    public IReadOnlyList<Parameter> TrainableParameters => _trainable;

    public ReferringSegmentationTask(TrainConfig config)
    {
        _modelSection = TrainConfig.Section<ReferringModelSection>(config.Model, "model");
        _data = TrainConfig.Section<ReferringDataSection>(config.Data, "data", required: true);
        if (_data.BatchSize < 1) throw new BadInputException("data.batch_size must be >= 1");
        _seed = config.Run.Seed;
        _dataset = ReferDataset.Open(_data.Dataset);
        _train = _dataset.Samples(_data.TrainSplit).Samples;
        _val = _dataset.Samples(_data.ValSplit).Samples.Take(_data.ValSamples).ToList();
        if (_train.Count == 0) throw new BadInputException($"{_data.Dataset}: split '{_data.TrainSplit}' has no samples");

        manual_seed(config.Run.Seed);
        if (_modelSection.Init is { } init)
        {
            Segmenter = SegmenterFolder.Load(init);
        }
        else
        {
            var vw = VisualWordsConfig.Parse(_modelSection.Config, "model.config");
            var tokenizer = WordTokenizer.FromCorpus(Corpus(_dataset));
            tokenizer.AddSegmentationTokens();
            Segmenter = new VisualWordsModel(vw, tokenizer);
            if (_modelSection.InitSam is { } samPath)
            {
                using var sd = Checkpoint.Load(samPath);
                StateDictLoader.LoadInto(Segmenter.visual_model, sd);
            }
        }
        _words = VisualWordSources.Create(Segmenter.Config.Superpixels);
        _trainable = Segmenter.SetTrainable();
        Segmenter.visual_model.ImageEncoder.eval();
    }

    /// <summary>Every text the word tokenizer must know: the conversation template and all expressions.</summary>
    public static IEnumerable<string> Corpus(ReferDataset dataset) =>
        new[] { ConversationTemplate.LlavaV1.Conversation(ReferringConversation.Question("x"), ReferringConversation.AnswerText) }
            .Concat(dataset.Refs.SelectMany(r => r.Sentences).Select(s => s.Sent));

    /// <summary>What an image contributes, computed once: SAM embedding, input size, label map, vision pixels.</summary>
    public sealed record ImageCache(Tensor SamEmbedding, Tensor SamPixels, (int H, int W) InputSize, Tensor Labels, Tensor VisionPixels, int Regions);

    public ImageCache ImageOf(ReferSample s) => _cache.GetOrAdd(s.Image.Id, _ => new Lazy<ImageCache>(() => BuildCache(s))).Value;

    ImageCache BuildCache(ReferSample s)
    {
        using var _ = no_grad();
        // Its own scope, with the results detached: the cache outlives whatever scope asked for it.
        using var scope = NewDisposeScope();
        var image = ImageIO.Load(s.ImagePath);
        var (pixels, inputSize) = Segmenter.SamInput(image);
        var embedding = Segmenter.SamEmbedding(pixels).detach();
        var partition = _words.Partition(image, Segmenter, embedding);
        // With a trainable SAM encoder the embedding is recomputed every step (from SamPixels); the
        // cached one then only served the visual words, which stay those of the initial SAM.
        var cache = new ImageCache(embedding, pixels, inputSize, partition.LabelTensor(), Segmenter.VisionInput(image), partition.Regions.Count);
        scope.Detach(cache.SamEmbedding, cache.SamPixels, cache.Labels, cache.VisionPixels);
        return cache;
    }

    sealed record Batch(IReadOnlyList<ReferSample> Samples, IReadOnlyList<ImageCache> Images, Tensor Targets) : IDisposable
    {
        public void Dispose() => Targets.Dispose();
    }

    public object PrepareBatch(long step, int micro)
    {
        int b = _data.BatchSize;
        var samples = new List<ReferSample>(b);
        for (int j = 0; j < b; j++)
        {
            long g = (step * 1_000 + micro) * b + j; // unique per (step, micro, j); accumulation is < 1000
            long epoch = g / _train.Count;
            samples.Add(_train[Permutation(epoch)[(int)(g % _train.Count)]]);
        }
        var images = samples.Select(ImageOf).ToList();
        using var scope = NewDisposeScope();
        var targets = stack(samples.Select((s, i) => LowResTarget(s, images[i].InputSize)).ToArray());
        return new Batch(samples, images, scope.MoveToOuter(targets));
    }

    readonly ConcurrentDictionary<long, int[]> _perms = new();

    int[] Permutation(long epoch) => _perms.GetOrAdd(epoch, e =>
    {
        var idx = Enumerable.Range(0, _train.Count).ToArray();
        // Not HashCode.Combine: it is salted per process, and a resumed run must see the same order.
        new Random(unchecked((int)(_seed * 1_000_003 + e * 7919))).Shuffle(idx);
        return idx;
    });

    /// <summary>The ground-truth mask in SAM's padded input frame at the decoder's low resolution (soft, 0..1).</summary>
    Tensor LowResTarget(ReferSample s, (int H, int W) inputSize)
    {
        using var scope = NewDisposeScope();
        var gt = RleEncoding.DecodeTensor(_dataset.Mask(s)).to(ScalarType.Float32).unsqueeze(0).unsqueeze(0);
        var sam = Segmenter.visual_model.Config;
        var m = nn.functional.interpolate(gt, [inputSize.H, inputSize.W], mode: InterpolationMode.Bilinear, align_corners: false);
        m = nn.functional.pad(m, [0, sam.ImageSize - inputSize.W, 0, sam.ImageSize - inputSize.H]);
        m = nn.functional.interpolate(m, [sam.LowResMaskSize, sam.LowResMaskSize], mode: InterpolationMode.Area);
        return scope.MoveToOuter(m.squeeze(0).squeeze(0));
    }

    ConversationSample Conversation(string expression, int visualTokens, bool withAnswer) =>
        new(ConversationTemplate.LlavaV1.Prompt(ReferringConversation.Question(expression, Segmenter.Config.ImageStartEnd)),
            withAnswer ? ReferringConversation.AnswerText : null, [visualTokens]);

    /// <summary>Low-res mask logits (B x 4h x 4w) and the LLM logits for a batch, teacher-forced.</summary>
    public (Tensor MaskLogits, Tensor Logits, PackedBatch Packed) Forward(IReadOnlyList<ReferSample> samples, IReadOnlyList<ImageCache> images)
    {
        using var scope = NewDisposeScope();
        var visual = Segmenter.VisualTokens(stack(images.Select(i => i.VisionPixels).ToArray()), images.Select(i => i.Labels).ToList());
        var packed = MultimodalPacker.Pack(Segmenter.Tokenizer,
            samples.Select((s, i) => Conversation(s.Expression, (int)visual.Lengths[i], withAnswer: true)).ToList());
        var hidden = Segmenter.Hidden(packed, visual);
        var logits = Segmenter.llm.Logits(hidden);
        var embeddings = Segmenter.Config.TrainSamEncoder && is_grad_enabled()
            ? Segmenter.SamEmbedding(stack(images.Select(i => i.SamPixels).ToArray()))
            : cat(images.Select(i => i.SamEmbedding).ToArray());
        var masks = new List<Tensor>();
        for (int i = 0; i < samples.Count; i++)
        {
            var pos = packed.SegHiddenPositions[i];
            if (pos.Count != 1) throw new InvalidOperationException($"expected one [SEG] in the answer, found {pos.Count}");
            var segHidden = hidden[i].index_select(0, tensor(pos.Select(p => (long)p).ToArray()));
            masks.Add(Segmenter.DecodeMasks(embeddings[i].unsqueeze(0), segHidden)[0, 0]);
        }
        var maskLogits = stack(masks.ToArray());
        scope.MoveToOuter(maskLogits, logits);
        scope.Detach(packed.InputIds, packed.VisualMask, packed.RealTokens, packed.Labels, packed.PositionIds);
        return (maskLogits, logits, packed);
    }

    public LossParts Loss(object batch)
    {
        var b = (Batch)batch;
        var w = _modelSection.Loss;
        var (maskLogits, logits, packed) = Forward(b.Samples, b.Images);
        using (packed)
        {
            var ce = SegmentationLosses.TokenCrossEntropy(logits, packed.Labels);
            var bce = SegmentationLosses.MaskBce(maskLogits, b.Targets);
            var dice = SegmentationLosses.MaskDice(maskLogits, b.Targets);
            var total = ce * w.Ce + bce * w.Bce + dice * w.Dice;
            var parts = new Dictionary<string, double>
            {
                ["ce"] = ce.item<float>(), ["bce"] = bce.item<float>(), ["dice"] = dice.item<float>(),
                ["tokens"] = b.Images.Average(i => i.Regions),
            };
            return new LossParts(total, parts, b.Samples.Count);
        }
    }

    /// <summary>gIoU on the first val samples, masks at the original image size, [SEG] teacher-forced.</summary>
    public double? Validate()
    {
        if (_val.Count == 0) return null;
        using var _ = no_grad();
        double sum = 0;
        foreach (var chunk in _val.Chunk(8))
        {
            using var scope = NewDisposeScope();
            var images = chunk.Select(ImageOf).ToList();
            var (maskLogits, _, packed) = Forward(chunk, images);
            using (packed)
            {
                for (int i = 0; i < chunk.Length; i++)
                {
                    var s = chunk[i];
                    var pred = Segmenter.Postprocess(maskLogits[i].unsqueeze(0).unsqueeze(0), images[i].InputSize, (s.Image.Height, s.Image.Width))[0] > 0;
                    var gt = RleEncoding.DecodeTensor(_dataset.Mask(s)).to(ScalarType.Bool);
                    long inter = (pred & gt).sum().item<long>(), union = (pred | gt).sum().item<long>();
                    sum += union == 0 ? 1.0 : (double)inter / union;
                }
            }
        }
        return sum / _val.Count;
    }

    /// <summary>Each checkpoint folder is a complete model folder (see <see cref="SegmenterFolder"/>).</summary>
    public void WriteModelFiles(string dir) => SegmenterFolder.WriteDescription(Segmenter, dir);

    public void Dispose()
    {
        foreach (var c in _cache.Values.Where(l => l.IsValueCreated).Select(l => l.Value))
        {
            c.SamEmbedding.Dispose(); c.SamPixels.Dispose(); c.Labels.Dispose(); c.VisionPixels.Dispose();
        }
        Segmenter.Dispose();
    }
}
