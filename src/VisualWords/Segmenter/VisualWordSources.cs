using VisualWords.Imaging;
using VisualWords.Superpixels;
using static TorchSharp.torch;

namespace VisualWords.Segmenter;

/// <summary>
/// Turns an image (and, for the semantic source, its SAM embedding) into the superpixel partition
/// whose regions become visual tokens.
/// </summary>
public interface IVisualWordSource
{
    string Name { get; }

    /// <param name="samEmbedding">1 x C x h x w embedding of the image (re-used, never recomputed).</param>
    SuperpixelPartition Partition(RgbImage image, VisualWordsModel model, Tensor samEmbedding);
}

public static class VisualWordSources
{
    public static IVisualWordSource Create(SuperpixelSourceConfig c) => c.Kind switch
    {
        "grid" => new Baseline(new GridSuperpixelizer(c.GridCells)),
        "semantic" => new SemanticVisualWordSource(c),
        "slic" => new Baseline(new SlicSuperpixelizer(new SlicConfig { Segments = c.GridCells * c.GridCells })),
        _ => throw new BadInputException($"unknown superpixel source '{c.Kind}': use semantic, grid or slic"),
    };

    /// <summary>A baseline that looks only at pixels (no SAM).</summary>
    sealed class Baseline(ISuperpixelizer inner) : IVisualWordSource
    {
        public string Name => inner.Name;
        public SuperpixelPartition Partition(RgbImage image, VisualWordsModel model, Tensor samEmbedding) => inner.Partition(image);
    }
}
