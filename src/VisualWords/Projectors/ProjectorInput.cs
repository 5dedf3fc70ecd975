using static TorchSharp.torch;

namespace VisualWords.Projectors;

/// <summary>
/// What a projector reads. PatchFeatures: B x (h·w) x C from a vision tower, row-major over a
/// GridHeight x GridWidth patch grid. SuperpixelLabels (semantic projector only): one int64 H x W
/// label map per image, labels 0..R-1 without gaps (-1: no superpixel, e.g. padding), covering
/// the same frame the tower saw (any resolution; pixel (y, x) falls in patch (⌊y·h/H⌋, ⌊x·w/W⌋)).
/// RegionColours (semantic projector with SSPE colour only): per image R x 3, each region's mean
/// RGB in 0..1 (<see cref="SuperpixelGeometry.MeanColours"/>).
/// </summary>
public sealed record ProjectorInput(Tensor PatchFeatures, int GridHeight, int GridWidth, IReadOnlyList<Tensor>? SuperpixelLabels = null,
    IReadOnlyList<Tensor>? RegionColours = null)
{
    public long Batch => PatchFeatures.shape[0];

    /// <summary>Throws <see cref="BadInputException"/> when the shapes do not agree.</summary>
    public void Validate(int visionWidth, bool needsLabels)
    {
        var f = PatchFeatures;
        if (f.dim() != 3)
            throw new BadInputException($"patch features must be B x (h·w) x C, got [{string.Join(", ", f.shape)}]");
        if (GridHeight <= 0 || GridWidth <= 0 || f.shape[1] != (long)GridHeight * GridWidth)
            throw new BadInputException($"patch features hold {f.shape[1]} patches, but the grid is {GridHeight}x{GridWidth}");
        if (f.shape[2] != visionWidth)
            throw new BadInputException($"patch features are {f.shape[2]} wide; this projector expects {visionWidth}");
        if (!needsLabels) return;
        if (SuperpixelLabels is null || SuperpixelLabels.Count != f.shape[0])
            throw new BadInputException(
                $"the semantic visual projector needs one superpixel label map per image: got {SuperpixelLabels?.Count ?? 0} for {f.shape[0]} images");
    }
}
