using VisualWords.Imaging;
using static TorchSharp.torch;

namespace VisualWords.Superpixels;

/// <summary>
/// Splits an image into superpixels: every pixel belongs to exactly one region. The semantic
/// (SAM-based) partition and the grid and SLIC baselines share this interface so ablations swap
/// one for another without touching the projector, and training and inference call the same one.
/// </summary>
public interface ISuperpixelizer
{
    /// <summary>Short name for logs and result files ("semantic", "grid", "slic").</summary>
    string Name { get; }

    /// <param name="samEmbedding">
    /// The image's SAM embedding (1 x C x h x w) when the caller already has it: the semantic
    /// partition re-uses it instead of running the encoder again; the baselines ignore it.
    /// </param>
    SuperpixelPartition Partition(RgbImage image, Tensor? samEmbedding = null);
}
