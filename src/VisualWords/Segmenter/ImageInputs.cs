using VisualWords.Superpixels;
using static TorchSharp.torch;

namespace VisualWords.Segmenter;

/// <summary>
/// Everything the referring model reads of one image, computed once by
/// <see cref="VisualWordsModel.Encode"/> with the frozen SAM — the same object whether a training
/// step or an <see cref="ImageSession"/> asks, so training and inference see the same visual words.
/// </summary>
public sealed class ImageInputs : IDisposable
{
    /// <summary>SAM image embedding 1 x C x h x w.</summary>
    public required Tensor SamEmbedding { get; init; }
    /// <summary>Size of the image inside SAM's padded square input.</summary>
    public required (int H, int W) InputSize { get; init; }
    public required (int H, int W) OriginalSize { get; init; }
    /// <summary>The visual words: one region per visual token.</summary>
    public required SuperpixelPartition Partition { get; init; }
    /// <summary>The partition's label map, int64 H x W at the original size.</summary>
    public required Tensor Labels { get; init; }
    /// <summary>Each region's mean colour, R x 3 in 0..1.</summary>
    public required Tensor RegionColours { get; init; }
    /// <summary>The vision tower's input, 3 x S x S floats 0..255.</summary>
    public required Tensor VisionPixels { get; init; }
    /// <summary>The frozen tower's output for this image ((h·w) x C), when a trainer cached it.</summary>
    public Tensor? VisionFeatures { get; set; }

    /// <summary>Time spent on the SAM encoder and on everything mode + partition.</summary>
    public double EncoderMilliseconds { get; init; }
    public double WordsMilliseconds { get; init; }

    public int Regions => Partition.Regions.Count;

    /// <summary>Moves every tensor out of the current dispose scope (the inputs outlive it).</summary>
    public ImageInputs Detached()
    {
        foreach (var t in new[] { SamEmbedding, Labels, RegionColours, VisionPixels, VisionFeatures }) t?.DetachFromDisposeScope();
        return this;
    }

    public void Dispose()
    {
        SamEmbedding.Dispose(); Labels.Dispose(); RegionColours.Dispose(); VisionPixels.Dispose(); VisionFeatures?.Dispose();
    }
}
