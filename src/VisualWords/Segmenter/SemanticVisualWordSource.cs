using VisualWords.Imaging;
using VisualWords.Sam.Amg;
using VisualWords.Superpixels;
using static TorchSharp.torch;

namespace VisualWords.Segmenter;

/// <summary>
/// The paper's visual words: SAM everything mode on the image's existing embedding (no second
/// encoder pass), then the semantic superpixel partition of those masks.
/// </summary>
public sealed class SemanticVisualWordSource(SuperpixelSourceConfig config) : IVisualWordSource
{
    public string Name => "semantic";

    public AutomaticMaskGeneratorConfig GeneratorConfig { get; } = new()
    {
        PointsPerSide = config.PointsPerSide,
        PredIouThresh = config.PredIouThresh,
        StabilityScoreThresh = config.StabilityScoreThresh,
    };

    public SemanticSuperpixelConfig PartitionConfig { get; } = new()
    {
        MinRegionArea = config.MinRegionArea,
        MaxRegions = config.MaxRegions,
    };

    public SuperpixelPartition Partition(RgbImage image, VisualWordsModel model, Tensor samEmbedding)
    {
        var generator = new SamAutomaticMaskGenerator(model.visual_model, GeneratorConfig);
        var records = generator.Generate(image, samEmbedding);
        var leveled = records.Select((r, i) => new LeveledMask(r.Segmentation, r.Level, r.PredictedIou, i)).ToList();
        return SemanticPartitioner.Build(leveled, image.Height, image.Width, PartitionConfig);
    }
}
