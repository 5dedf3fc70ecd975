using VisualWords.Imaging;
using VisualWords.Sam.Amg;
using static TorchSharp.torch;

namespace VisualWords.Superpixels;

/// <summary>
/// The paper's visual words: SAM everything-mode masks (<see cref="SamAutomaticMaskGenerator"/>)
/// turned into a partition by <see cref="SemanticPartitioner"/>.
/// </summary>
public sealed class SemanticSuperpixelizer(SamAutomaticMaskGenerator generator, SemanticSuperpixelConfig? config = null) : ISuperpixelizer
{
    public SamAutomaticMaskGenerator Generator { get; } = generator;
    public SemanticSuperpixelConfig Config { get; } = config ?? new SemanticSuperpixelConfig();

    public string Name => "semantic";

    public SuperpixelPartition Partition(RgbImage image, Tensor? samEmbedding = null) => Run(image, samEmbedding).Partition;

    /// <summary>
    /// Masks and partition of one image; pass the image embedding when the caller already has it
    /// (the full model encodes once for both the superpixels and the [SEG] decoder).
    /// </summary>
    public (List<SamMaskRecord> Masks, SuperpixelPartition Partition) Run(RgbImage image, Tensor? imageEmbedding = null)
    {
        var masks = Generator.Generate(image, imageEmbedding);
        var partition = SemanticPartitioner.Build(SemanticPartitioner.FromRecords(masks, Config), image.Height, image.Width, Config, image);
        return (masks, partition);
    }
}
