using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Projectors;

/// <summary>
/// SSPE: where a superpixel is and what shape it has, as a vector in the vision width that is
/// added to its pooled token. Two parts: an MLP over <see cref="SuperpixelGeometry"/> (box,
/// centroid, log-area, S x S mask thumbnail) and the area-weighted pooling of the fixed 2-D
/// sin-cos patch position table — the same pooling the features get, so a region's position
/// code is the mean of the positions it covers.
/// </summary>
public sealed class SuperpixelPositionalEmbedding : nn.Module
{
    readonly Sequential geometry_mlp;
    readonly int _width;

    public SuperpixelPositionalEmbedding(SemanticProjectorConfig config) : base(nameof(SuperpixelPositionalEmbedding))
    {
        _width = config.VisionWidth;
        geometry_mlp = nn.Sequential(
            ("0", nn.Linear(SuperpixelGeometry.Width(config.ShapeGrid, config.SspeColour), config.SspeHidden)),
            ("1", nn.GELU()),
            ("2", nn.Linear(config.SspeHidden, config.VisionWidth)));
        RegisterComponents();
    }

    /// <summary>geometry: B x N x (7 + S² [+ 3 colour]), weights: B x N x (h·w) → B x N x C.</summary>
    public Tensor forward(Tensor geometry, Tensor weights, int gridHeight, int gridWidth)
    {
        using var scope = NewDisposeScope();
        var table = SinCosPositions.Table(gridHeight, gridWidth, _width, weights.device).to(weights.dtype);
        return scope.MoveToOuter(geometry_mlp.forward(geometry) + weights.matmul(table));
    }
}
