using VisualWords.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace VisualWords.Evaluation;

/// <summary>A regular grid of cells x cells rectangles (row-major labels), the simplest label map.</summary>
public sealed class GridSuperpixels : ISuperpixelSource
{
    public int Cells { get; }

    public GridSuperpixels(int cells)
    {
        if (cells < 1) throw new BadInputException($"grid superpixels need at least 1 cell per side, got {cells}");
        Cells = cells;
    }

    public string Name => $"grid {Cells}x{Cells}";

    public Tensor Labels(RgbImage image) => Labels(image.Height, image.Width);

    public Tensor Labels(int height, int width)
    {
        using var scope = NewDisposeScope();
        // Cell of row y is floor(y * cells / height): equal cells up to one pixel.
        var rows = arange(height, dtype: ScalarType.Int64).mul(Cells).div(height, rounding_mode: RoundingMode.floor);
        var cols = arange(width, dtype: ScalarType.Int64).mul(Cells).div(width, rounding_mode: RoundingMode.floor);
        var labels = rows.unsqueeze(1).mul(Cells).add(cols.unsqueeze(0));
        return scope.MoveToOuter(labels);
    }
}
