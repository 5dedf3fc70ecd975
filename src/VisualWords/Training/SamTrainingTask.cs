using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using VisualWords.Data;
using VisualWords.Evaluation;
using VisualWords.Imaging;
using VisualWords.Sam;
using static TorchSharp.torch;

namespace VisualWords.Training;

/// <summary>The <c>data</c> section of a SAM training config.</summary>
public sealed record SamDataConfig
{
    /// <summary>Refer-format dataset folder (instances.json, refs(NAME).json, images/).</summary>
    public string Dir { get; init; } = "";
    public string Split { get; init; } = "train";
    /// <summary>Split whose point-prompt mIoU is the validation score (null: no validation).</summary>
    public string? ValSplit { get; init; } = "val";
    /// <summary>The first N images of the validation split are scored.</summary>
    public int ValImages { get; init; } = 64;
    /// <summary>Model input side; when given it must equal the model's (a guard against a mismatched config).</summary>
    public int? ImageSize { get; init; }
    /// <summary>Images per micro-batch; each brings <see cref="SamPromptOptions.PerImage"/> prompts.</summary>
    public int BatchImages { get; init; } = 8;
    /// <summary>Keep decoded, resized images in memory for the whole run.</summary>
    public bool CacheImages { get; init; } = true;
    public SamPromptOptions Prompts { get; init; } = new();
}

/// <summary>
/// Trains a SAM (model section <c>{"kind": "sam", "sam": NAME or inline config, "init": checkpoint?}</c>)
/// on a refer-format dataset's instance masks with SAM's recipe: per image a few prompts (a point
/// in the mask, a jittered box, or several points with maybe a negative one); single points train
/// the three multimask outputs by their minimum loss, other prompts the single output; focal 20 :
/// dice 1 on masks plus the MSE between predicted and actual IoU. Samples per second count images.
/// </summary>
public sealed class SamTrainingTask : ITrainingTask
{
    sealed record ModelSection
    {
        public string Kind { get; init; } = "";
        public JsonElement Sam { get; init; }
        public string? Init { get; init; }
    }

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    readonly SamModel _model;
    readonly SamDataConfig _data;
    readonly SamTrainingImages _train;
    readonly IReadOnlyList<InstanceImage> _val;
    readonly long _seed;

    public nn.Module Model => _model;
    public SamModel Sam => _model;
    public IReadOnlyList<Parameter> TrainableParameters { get; }

    public SamTrainingTask(TrainConfig config)
    {
        var modelSection = TrainConfig.Section<ModelSection>(config.Model, "model");
        _data = TrainConfig.Section<SamDataConfig>(config.Data, "data", required: true);
        _data.Prompts.Validate();
        if (string.IsNullOrEmpty(_data.Dir)) throw new BadInputException("config: data.dir is required (a refer-format dataset folder)");
        if (_data.BatchImages < 1) throw new BadInputException("config: data.batch_images must be >= 1");
        var samConfig = ParseSamConfig(modelSection.Sam);
        if (_data.ImageSize is int size && size != samConfig.ImageSize)
            throw new BadInputException($"config: data.image_size {size} differs from the input size {samConfig.ImageSize} of SAM '{samConfig.Name}'");
        _seed = config.Run.Seed;

        var dataset = ReferDataset.Open(config.ResolvePath(_data.Dir));
        var train = InstanceImage.OfSplit(dataset, _data.Split);
        _train = new SamTrainingImages(train, samConfig.ImageSize, _data.CacheImages);
        _val = _data.ValSplit is { } vs ? InstanceImage.OfSplit(dataset, vs).Take(_data.ValImages).ToList() : [];

        torch.manual_seed(config.Run.Seed);  // the initial weights are a function of the seed too
        _model = modelSection.Init is { } init ? SamModel.FromCheckpoint(samConfig, config.ResolvePath(init)) : new SamModel(samConfig);
        TrainableParameters = _model.parameters().ToList();
    }

    /// <summary>A registry name ("shapes_sam") or an inline <see cref="SamModelConfig"/> in snake_case.</summary>
    public static SamModelConfig ParseSamConfig(JsonElement sam)
    {
        if (sam.ValueKind == JsonValueKind.String) return SamModelConfig.Get(sam.GetString()!);
        if (sam.ValueKind != JsonValueKind.Object)
            throw new BadInputException($"config: model.sam must be one of {string.Join(", ", SamModelConfig.Registry.Keys)} or an inline SAM config");
        try
        {
            var c = sam.Deserialize<SamModelConfig>(Json) ?? throw new BadInputException("config: model.sam is empty");
            if (c.Vit is null && c.TinyVit is null) throw new BadInputException("config: model.sam needs a vit or tiny_vit encoder");
            return c;
        }
        catch (JsonException e)
        {
            throw new BadInputException($"config: model.sam: {JsonErrors.Describe(e)}");
        }
    }

    /// <summary>Generator of batch (step, micro): its own stream, never torch's process-wide RNG.</summary>
    DeterministicRandom BatchRandom(long step, int micro) => DeterministicRandom.Fork(_seed, step * 4096 + micro);

    public object PrepareBatch(long step, int micro)
    {
        var rng = BatchRandom(step, micro);
        int s = _model.Config.ImageSize;
        var images = new List<Tensor>();
        var prompts = new List<SamPromptTensors>();
        for (int b = 0; b < _data.BatchImages; b++)
        {
            SamTrainingImage img;
            int attempts = 0;
            do img = _train.Get(rng.Next(_train.Count));
            while (img.Masks.Count == 0 && ++attempts < 100);
            if (img.Masks.Count == 0) throw new BadInputException($"{_data.Dir}: split '{_data.Split}' has no object big enough to train on");
            var set = SamPromptSampler.Sample(rng, img.Masks, img.Background, img.Height, img.Width, _data.Prompts, s);
            images.Add(ImageTensors.ToFloatCHW(img.Resized));
            prompts.Add(ToTensors(set, img, s));
        }
        return new SamTrainingBatch(images, prompts);
    }

    static SamPromptTensors ToTensors(SamPromptSet set, SamTrainingImage img, int size)
    {
        int k = set.Count, h = img.Height, w = img.Width;
        var targets = new float[k * size * size];
        for (int p = 0; p < k; p++)
        {
            var m = set.Targets[p] < 0 ? img.Background : img.Masks[set.Targets[p]];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    if (m[y * w + x]) targets[(p * size + y) * size + x] = 1f;   // the padding stays background
        }
        var t = torch.tensor(targets, [k, size, size]);
        return set.Kind == SamPromptKind.Box
            ? new SamPromptTensors(false, null, null, torch.tensor(set.Boxes, [k, 4]), t)
            : new SamPromptTensors(set.Multimask, torch.tensor(set.Coords, [k, set.PointsPerPrompt, 2]),
                torch.tensor(set.Labels, [k, set.PointsPerPrompt]), null, t);
    }

    public LossParts Loss(object batch)
    {
        var b = (SamTrainingBatch)batch;
        var device = _model.Device;
        var x = torch.cat(b.Images.Select(i => _model.Preprocess(i.to(device).unsqueeze(0))).ToArray(), 0);
        var embeddings = _model.ImageEncoder.forward(x);
        var pe = _model.PromptEncoder.GetDensePe();
        int size = _model.Config.ImageSize;
        var maskLosses = new List<Tensor>();
        var iouLosses = new List<Tensor>();
        var focal = new List<Tensor>();
        var dice = new List<Tensor>();
        var actual = new List<Tensor>();
        for (int i = 0; i < b.Prompts.Count; i++)
        {
            var p = b.Prompts[i];
            (Tensor, Tensor)? points = p.Coords is null ? null : (p.Coords.to(device), p.Labels!.to(device));
            var (sparse, dense) = _model.PromptEncoder.forward(points, p.Boxes?.to(device), null);
            var (allMasks, allIou) = _model.MaskDecoder.PredictMasks(embeddings.narrow(0, i, 1), pe, sparse, dense);
            var (start, end) = p.Multimask ? (1L, allMasks.shape[1]) : (0L, 1L);
            var masks = nn.functional.interpolate(allMasks.slice(1, start, end, 1), [size, size],
                mode: InterpolationMode.Bilinear, align_corners: false);                  // K x M x S x S
            var iouPred = allIou.slice(1, start, end, 1);                                  // K x M
            var target = p.Targets.to(device).unsqueeze(1);
            var f = SamLosses.Focal(masks, target);
            var d = SamLosses.Dice(masks, target);
            var combined = SamLosses.FocalWeight * f + SamLosses.DiceWeight * d;
            // SAM's ambiguity rule: only the output closest to the target is pushed towards it.
            var pick = combined.argmin(1, keepdim: true);
            maskLosses.Add(combined.gather(1, pick));
            focal.Add(f.gather(1, pick).detach());
            dice.Add(d.gather(1, pick).detach());
            var iou = SegmentationMetrics.MaskIou(masks.detach(), target);
            actual.Add(iou.gather(1, pick));
            // Every output's IoU prediction learns, so everything mode can rank all three.
            iouLosses.Add((iouPred - iou).pow(2).mean([1]));
        }
        var maskLoss = torch.cat(maskLosses.ToArray(), 0).mean();
        var iouLoss = torch.cat(iouLosses.ToArray(), 0).mean();
        var total = maskLoss + iouLoss;
        static double Mean(List<Tensor> ts) => torch.cat(ts.ToArray(), 0).mean().item<float>();
        var parts = new Dictionary<string, double>
        {
            ["focal"] = Mean(focal),
            ["dice"] = Mean(dice),
            ["iou_mse"] = iouLoss.item<float>(),
            ["train_miou"] = Mean(actual),
        };
        return new LossParts(total, parts, b.Images.Count);
    }

    public string ValidationMetric => "val point mIoU";

    /// <summary>Mean IoU of single-click (most interior pixel) masks on the first val images.</summary>
    public double? Validate() =>
        _val.Count == 0 ? null : SamPromptEvaluation.PointPrompts(_model, _val).MeanIou;

    public void Dispose() => _model.Dispose();
}
