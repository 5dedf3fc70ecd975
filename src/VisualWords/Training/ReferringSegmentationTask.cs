using System.Collections.Concurrent;
using System.Text.Json;
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
    /// <summary>Optional SAM weights to start from (e.g. models/shapes-sam/model.safetensors); SAM's encoder stays frozen.</summary>
    public string? InitSam { get; init; }
    /// <summary>Optional vision tower to start from: a model folder or a .safetensors holding
    /// <c>vision_tower.*</c> keys (e.g. the shipped model's ShapesWorld tower, playing CLIP's part);
    /// every tower key must load. With <c>train_vision_tower: false</c> it stays frozen, as in LLaVA and LISA.</summary>
    public string? InitVisionTower { get; init; }
    /// <summary>Optional whole-model folder to start from (fine-tuning); <see cref="Config"/>, if given, then
    /// overrides top-level keys of the folder's visualwords.json (e.g. <c>{"train_vision_tower": false}</c>).</summary>
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
    /// <summary>
    /// Optional folder keeping each image's visual words between runs (<see cref="VisualWordsCache"/>):
    /// read when present for this model's words settings and SAM weights, written when computed.
    /// </summary>
    public string? WordsCache { get; init; }
}

/// <summary>
/// Trains the referring segmenter on a refer-format dataset: CE on "Sure, it is [SEG].", BCE + Dice
/// of the mask decoded from the [SEG] state and, when the model grounds, BCE of the visual-word
/// scores against each word's overlap with the target. Each image's <see cref="ImageInputs"/>
/// (frozen SAM embedding, visual words, region colours, tower pixels — and the tower's features
/// when the tower is frozen) is computed once, by <see cref="VisualWordsModel.Encode"/> exactly as
/// at inference, and cached for the run. Samples are drawn without replacement, epoch by epoch.
/// </summary>
public sealed class ReferringSegmentationTask : ITrainingTask
{
    readonly ReferringModelSection _modelSection;
    readonly ReferringDataSection _data;
    readonly ReferDataset _dataset;
    readonly IReadOnlyList<ReferSample> _train, _val;
    readonly ConcurrentDictionary<long, Lazy<ImageInputs>> _cache = new();
    readonly long _seed;
    readonly int _accumulation;
    readonly List<Parameter> _trainable;
    readonly VisualWordsCache? _wordsCache;

    public VisualWordsModel Segmenter { get; }
    public nn.Module Model => Segmenter;
    public IReadOnlyList<Parameter> TrainableParameters => _trainable;

    public ReferringSegmentationTask(TrainConfig config)
    {
        _modelSection = TrainConfig.Section<ReferringModelSection>(config.Model, "model");
        _data = TrainConfig.Section<ReferringDataSection>(config.Data, "data", required: true);
        if (_data.BatchSize < 1) throw new BadInputException("data.batch_size must be >= 1");
        _seed = config.Run.Seed;
        _accumulation = config.Optim.GradAccumulation;
        _dataset = ReferDataset.Open(config.ResolvePath(_data.Dataset)!);
        _train = _dataset.Samples(_data.TrainSplit).Samples;
        _val = _dataset.Samples(_data.ValSplit).Samples.Take(_data.ValSamples).ToList();
        if (_train.Count == 0) throw new BadInputException($"{_data.Dataset}: split '{_data.TrainSplit}' has no samples");

        manual_seed(config.Run.Seed);
        if (_modelSection.Init is { } init)
        {
            Segmenter = SegmenterFolder.Load(config.ResolvePath(init)!, _modelSection.Config);
        }
        else
        {
            var vw = VisualWordsConfig.Parse(_modelSection.Config, "model.config");
            var tokenizer = WordTokenizer.FromCorpus(Corpus(_dataset));
            tokenizer.AddSegmentationTokens();
            Segmenter = new VisualWordsModel(vw, tokenizer);
            if (_modelSection.InitSam is { } samPath)
            {
                using var sd = Checkpoint.Load(config.ResolvePath(samPath)!);
                StateDictLoader.LoadInto(Segmenter.visual_model, sd);
            }
            Segmenter.CopySamIntoWordsSam();
        }
        if (_modelSection.InitVisionTower is { } towerPath) LoadVisionTower(Segmenter, config.ResolvePath(towerPath)!);
        _trainable = Segmenter.SetTrainable();
        if (_data.WordsCache is { } cacheDir) _wordsCache = VisualWordsCache.Open(config.ResolvePath(cacheDir)!, Segmenter);
        Segmenter.eval();   // the cache is filled by worker threads before the trainer switches modes
    }

    /// <summary>Copies the <c>vision_tower.*</c> tensors of a model folder or weights file into the model's tower;
    /// a tower key the file lacks, or a shape that differs, is an error that names them.</summary>
    static void LoadVisionTower(VisualWordsModel model, string path)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, SegmenterFolder.WeightsFile) : path;
        const string prefix = "vision_tower.";
        using var sd = Checkpoint.Load(file);
        var report = StateDictLoader.LoadInto(model, sd, new LoadOptions { Strict = false, OnlyPrefixes = [prefix] });
        var missing = report.Missing.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        if (missing.Count > 0 || report.ShapeMismatches.Count > 0 || report.Loaded.Count == 0)
            throw new BadInputException($"model.init_vision_tower {file}: its tower does not match model.config's " +
                $"({report.Loaded.Count} tower tensors loaded; missing: {string.Join(", ", missing.DefaultIfEmpty("none"))}; " +
                $"shape mismatches: {string.Join(", ", report.ShapeMismatches.DefaultIfEmpty("none"))})");
    }

    /// <summary>Every text the word tokenizer must know: the conversation template and all expressions.</summary>
    public static IEnumerable<string> Corpus(ReferDataset dataset) =>
        new[] { ConversationTemplate.LlavaV1.Conversation(ReferringConversation.Question("x"), ReferringConversation.AnswerText) }
            .Concat(dataset.Refs.SelectMany(r => r.Sentences).Select(s => s.Sent));

    /// <summary>The per-image inputs of a sample's image, computed once with the frozen parts (thread-safe).</summary>
    public ImageInputs ImageOf(ReferSample s) => _cache.GetOrAdd(s.Image.Id, _ => new Lazy<ImageInputs>(() => Encode(s))).Value;

    ImageInputs Encode(ReferSample s)
    {
        var image = ImageIO.Load(s.ImagePath);
        var key = _wordsCache is null ? null : VisualWordsCache.KeyOf(s.ImagePath);
        var cached = key is null ? null : _wordsCache!.TryLoad(key);
        var inputs = Segmenter.Encode(image, cached);
        if (key is not null && cached is null) _wordsCache!.Save(key, inputs.Partition, Segmenter.Config.Superpixels.Kind);
        if (!Segmenter.Config.TrainVisionTower)
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var f = Segmenter.VisionFeatures([inputs])[0];
            inputs.VisionFeatures = scope.MoveToOuter(f);
            inputs.VisionFeatures.DetachFromDisposeScope();
        }
        return inputs;
    }

    /// <summary>A batch: samples, their images' inputs, low-res targets B x L x L and word overlaps B x N.</summary>
    sealed record Batch(IReadOnlyList<ReferSample> Samples, IReadOnlyList<ImageInputs> Images, Tensor Targets, Tensor Overlaps) : IDisposable
    {
        public void Dispose() { Targets.Dispose(); Overlaps.Dispose(); }
    }

    public object PrepareBatch(long step, int micro)
    {
        int b = _data.BatchSize;
        var samples = new List<ReferSample>(b);
        for (int j = 0; j < b; j++)
        {
            // The g-th draw of the run: consecutive draws walk through one permutation per epoch.
            long g = (step * _accumulation + micro) * b + j;
            long epoch = g / _train.Count;
            samples.Add(_train[Permutation(epoch)[(int)(g % _train.Count)]]);
        }
        return Prepare(samples);
    }

    Batch Prepare(IReadOnlyList<ReferSample> samples)
    {
        var images = samples.Select(ImageOf).ToList();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var gts = samples.Select(s => RleEncoding.DecodeTensor(_dataset.Mask(s)).to(ScalarType.Float32)).ToList();
        var targets = stack(samples.Select((s, i) => LowResTarget(gts[i], images[i].InputSize)).ToArray());
        int n = images.Max(i => i.Regions);
        var overlaps = stack(images.Select((img, i) => WordOverlaps(img, gts[i], n)).ToArray());
        return new Batch(samples, images, scope.MoveToOuter(targets), scope.MoveToOuter(overlaps));
    }

    /// <summary>The permutation of epoch e, a function of the seed and e; only the latest epochs are kept.</summary>
    int[] Permutation(long epoch)
    {
        if (_perms.TryGetValue(epoch, out var p)) return p;
        var idx = Enumerable.Range(0, _train.Count).ToArray();
        // Not HashCode.Combine: it is salted per process, and a resumed run must see the same order.
        new Random(unchecked((int)(_seed * 1_000_003 + epoch * 7919))).Shuffle(idx);
        _perms[epoch] = idx;
        foreach (var old in _perms.Keys.Where(k => k < epoch - 1)) _perms.TryRemove(old, out int[]? _);
        return idx;
    }

    readonly ConcurrentDictionary<long, int[]> _perms = new();

    /// <summary>The ground-truth mask in SAM's padded input frame at the decoder's low resolution (soft, 0..1).</summary>
    Tensor LowResTarget(Tensor gt, (int H, int W) inputSize)
    {
        using var scope = NewDisposeScope();
        var sam = Segmenter.visual_model.Config;
        var m = nn.functional.interpolate(gt.unsqueeze(0).unsqueeze(0), [inputSize.H, inputSize.W], mode: InterpolationMode.Bilinear, align_corners: false);
        m = nn.functional.pad(m, [0, sam.ImageSize - inputSize.W, 0, sam.ImageSize - inputSize.H]);
        m = nn.functional.interpolate(m, [sam.LowResMaskSize, sam.LowResMaskSize], mode: InterpolationMode.Area);
        return scope.MoveToOuter(m.squeeze(0).squeeze(0));
    }

    /// <summary>Each word's fraction inside the target mask (the grounding target), zero-padded to <paramref name="n"/> words.</summary>
    static Tensor WordOverlaps(ImageInputs img, Tensor gt, int n)
    {
        using var scope = NewDisposeScope();
        var labels = img.Labels.flatten();
        var inside = zeros(img.Regions).index_add(0, labels, gt.flatten(), 1);
        var area = zeros(img.Regions).index_add(0, labels, ones(labels.shape[0]), 1);
        var overlap = inside / area.clamp_min(1);
        return scope.MoveToOuter(nn.functional.pad(overlap, [0, n - img.Regions]));
    }

    public void SetTrainMode() => Segmenter.TrainMode();

    public LossParts Loss(object batch)
    {
        var b = (Batch)batch;
        var w = _modelSection.Loss;
        var f = Segmenter.Forward(b.Images, b.Samples.Select(s => s.Expression).ToList());
        using (f.Packed)
        {
            var ce = SegmentationLosses.TokenCrossEntropy(f.Logits, f.Packed.Labels);
            var bce = SegmentationLosses.MaskBce(f.Decoded.MaskLogits, b.Targets);
            var dice = SegmentationLosses.MaskDice(f.Decoded.MaskLogits, b.Targets);
            var total = ce * w.Ce + bce * w.Bce + dice * w.Dice;
            var parts = new Dictionary<string, double>
            {
                ["ce"] = ce.item<float>(), ["bce"] = bce.item<float>(), ["dice"] = dice.item<float>(),
                ["tokens"] = b.Images.Average(i => i.Regions),
            };
            if (f.Decoded.WordScores is { } scores)
            {
                var real = arange(scores.shape[1]).unsqueeze(0) < tensor(b.Images.Select(i => (long)i.Regions).ToArray()).unsqueeze(1);
                var g = SegmentationLosses.GroundingBce(scores, b.Overlaps, real);
                var choice = SegmentationLosses.GroundingChoice(scores, b.Overlaps, real);
                total += (g + choice) * w.Grounding;
                parts["grounding"] = g.item<float>();
                parts["choice"] = choice.item<float>();
                parts["pick"] = PickAccuracy(scores, b);
            }
            return new LossParts(total, parts, b.Samples.Count);
        }
    }

    /// <summary>How often the best-scored word is the word most inside the target.</summary>
    static double PickAccuracy(Tensor scores, Batch b)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        int hit = 0;
        for (int i = 0; i < b.Images.Count; i++)
        {
            int r = b.Images[i].Regions;
            long picked = scores[i, ..r].argmax().item<long>();
            hit += b.Overlaps[i, picked].item<float>() >= b.Overlaps[i, ..r].max().item<float>() - 1e-6 ? 1 : 0;
        }
        return (double)hit / b.Images.Count;
    }

    /// <summary>The validation metric's name in logs.</summary>
    public string ValidationMetric => "val gIoU";

    /// <summary>gIoU on the first val samples: [SEG] teacher-forced, masks as the model's <c>mask_from</c> makes them, at the original size.</summary>
    public double? Validate()
    {
        if (_val.Count == 0) return null;
        using var _ = no_grad();
        double sum = 0;
        foreach (var chunk in _val.Chunk(16))
        {
            using var scope = NewDisposeScope();
            var images = chunk.Select(ImageOf).ToList();
            var f = Segmenter.Forward(images, chunk.Select(s => s.Expression).ToList());
            using (f.Packed)
            {
                var (masks, _) = Segmenter.FinalMasks(images, f.Decoded);
                for (int i = 0; i < chunk.Length; i++)
                {
                    var gt = RleEncoding.DecodeTensor(_dataset.Mask(chunk[i])).to(ScalarType.Bool);
                    long inter = (masks[i] & gt).sum().item<long>(), union = (masks[i] | gt).sum().item<long>();
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
        foreach (var c in _cache.Values.Where(l => l.IsValueCreated)) c.Value.Dispose();
        Segmenter.Dispose();
    }
}
