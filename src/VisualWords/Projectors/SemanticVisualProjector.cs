using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Projectors;

/// <summary>
/// One visual token per semantic superpixel:
///   pooled = area-weighted mean of the patch features the region covers (pixel-accurate weights)
///   + SSPE(region geometry, pooled sin-cos positions)            [UseSspe]
///   → SSA: inside-region and whole-image cross-attention, L layers [UseSsa]
///   → mlp2x_gelu into the LLM width.
/// Images with fewer regions are zero-padded to the batch's largest count; Mask marks real tokens.
/// </summary>
public sealed class SemanticVisualProjector : VisualProjector
{
    readonly SuperpixelPositionalEmbedding? sspe;
    readonly SuperpixelAggregator? ssa;
    readonly Sequential mm_projector;
    readonly SemanticProjectorConfig _config;

    public SemanticVisualProjector(SemanticProjectorConfig config) : base(nameof(SemanticVisualProjector), config)
    {
        _config = config;
        if (config.ShapeGrid < 1) throw new BadInputException($"SSPE shape grid must be at least 1 (got {config.ShapeGrid})");
        if (config.SspeColour && !config.UseSspe) throw new BadInputException("SSPE colour needs SSPE");
        if (config.UseSspe) sspe = new SuperpixelPositionalEmbedding(config);
        if (config.UseSsa) ssa = new SuperpixelAggregator(config);
        mm_projector = OutputMlp(config);
        RegisterComponents();
    }

    public override VisualTokens forward(ProjectorInput input)
    {
        input.Validate(Config.VisionWidth, needsLabels: true);
        using var scope = NewDisposeScope();
        var f = input.PatchFeatures;
        var (weights, geometry, mask, lengths) = Layout(input);
        var tokens = weights.to(f.dtype).bmm(f);
        if (sspe is not null)
            tokens = tokens + sspe.forward(geometry!.to(f.dtype), weights.to(f.dtype), input.GridHeight, input.GridWidth);
        if (ssa is not null)
        {
            // Padded rows have no patches; let them see everything (their output is discarded)
            // so no softmax row is empty.
            var inside = weights.gt(0).logical_or(mask.logical_not().unsqueeze(2));
            tokens = ssa.forward(tokens, f, inside);
        }
        var output = mm_projector.forward(tokens) * mask.unsqueeze(2).to(f.dtype);
        return new VisualTokens(scope.MoveToOuter(output), scope.MoveToOuter(mask), lengths)
        {
            Descriptors = geometry is null ? null : scope.MoveToOuter(geometry.to(f.dtype)),
        };
    }

    /// <summary>
    /// Per image (a loop over the batch, not over pixels): pooling weights and geometry from the
    /// label map, padded into B x N_max x (h·w) / B x N_max x G tables.
    /// </summary>
    (Tensor Weights, Tensor? Geometry, Tensor Mask, long[] Lengths) Layout(ProjectorInput input)
    {
        var dev = input.PatchFeatures.device;
        var labels = input.SuperpixelLabels!;
        var b = labels.Count;
        var cells = (long)input.GridHeight * input.GridWidth;
        using var _ = no_grad();
        if (_config.SspeColour && input.RegionColours?.Count != b)
            throw new BadInputException($"this projector embeds region colours: got {input.RegionColours?.Count ?? 0} colour tables for {b} images");
        var perImage = new (Tensor Weights, Tensor? Geometry)[b];
        var lengths = new long[b];
        for (var i = 0; i < b; i++)
        {
            var (l, regions) = SuperpixelPooling.CheckLabels(labels[i].to(dev));
            perImage[i] = (
                SuperpixelPooling.Weights(SuperpixelPooling.PixelCounts(l, regions, input.GridHeight, input.GridWidth)),
                sspe is null ? null : Geometry(l, regions, input.RegionColours?[i]));
            lengths[i] = regions;
        }
        var n = lengths.Max();
        var weights = zeros(b, n, cells, device: dev);
        var geometry = sspe is null ? null : zeros(b, n, SuperpixelGeometry.Width(_config.ShapeGrid, _config.SspeColour), device: dev);
        var mask = arange(n, device: dev).unsqueeze(0) < tensor(lengths, device: dev).unsqueeze(1);
        for (var i = 0; i < b; i++)
        {
            weights[i, ..(int)lengths[i]] = perImage[i].Weights;
            if (geometry is not null) geometry[i, ..(int)lengths[i]] = perImage[i].Geometry!;
        }
        return (weights, geometry, mask, lengths);
    }

    Tensor Geometry(Tensor labels, int regions, Tensor? colours)
    {
        var g = SuperpixelGeometry.Describe(labels, regions, _config.ShapeGrid);
        if (!_config.SspeColour) return g;
        if (colours is null || colours.shape[0] != regions || colours.shape[1] != 3)
            throw new BadInputException($"region colours must be {regions} x 3");
        return cat([g, colours.to(g.device).to(g.dtype)], 1);
    }
}
