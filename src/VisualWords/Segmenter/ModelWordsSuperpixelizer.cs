using VisualWords.Imaging;
using VisualWords.Superpixels;
using static TorchSharp.torch;

namespace VisualWords.Segmenter;

/// <summary>
/// A model's visual words as a stand-alone <see cref="ISuperpixelizer"/>: the model's own superpixelizer
/// (its frozen everything-mode SAM decoder) on the embedding of the model's SAM encoder, computed here
/// when the caller has none — the words <see cref="VisualWordsModel.Encode"/> gives the LLM. Used by
/// the baselines that pick a word without reading the expression.
/// </summary>
public sealed class ModelWordsSuperpixelizer(VisualWordsModel model) : ISuperpixelizer
{
    public string Name => $"{model.Superpixelizer.Name} words";

    public SuperpixelPartition Partition(RgbImage image, Tensor? samEmbedding = null)
    {
        if (samEmbedding is not null) return model.Superpixelizer.Partition(image, samEmbedding);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return model.Superpixelizer.Partition(image, model.EmbedImage(image).Embedding);
    }
}
