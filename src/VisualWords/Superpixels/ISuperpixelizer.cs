using VisualWords.Imaging;

namespace VisualWords.Superpixels;

/// <summary>
/// Splits an image into superpixels: every pixel belongs to exactly one region. The semantic
/// (SAM-based) partition and the grid and SLIC baselines share this interface so ablations swap
/// one for another without touching the projector.
/// </summary>
public interface ISuperpixelizer
{
    /// <summary>Short name for logs and result files ("semantic", "grid", "slic").</summary>
    string Name { get; }

    SuperpixelPartition Partition(RgbImage image);
}
