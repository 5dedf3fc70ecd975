using TorchSharp;
using static TorchSharp.torch;

namespace VisualWords.Vision;

/// <summary>
/// Resizing a square grid of learned patch position embeddings to another patch grid. The two
/// families differ in one detail that changes the numbers: HF CLIP resizes to an exact size,
/// DINOv2 passes a scale factor (grid + 0.1) / M, which PyTorch uses for the sampling positions.
/// </summary>
public static class PositionGrid
{
    /// <summary>patch: M*M x D → gh*gw x D (bicubic, align_corners=false).</summary>
    public static Tensor Resize(Tensor patch, int gridHeight, int gridWidth, double? offset = null)
    {
        using var scope = NewDisposeScope();
        var (n, d) = (patch.shape[0], patch.shape[1]);
        var m = (long)Math.Round(Math.Sqrt(n));
        if (m * m != n) throw new BadInputException($"position embedding has {n} patch positions, not a square grid");
        if (m == gridHeight && m == gridWidth) return scope.MoveToOuter(patch.alias());
        var grid = patch.to(float32).reshape(1, m, m, d).permute(0, 3, 1, 2);
        var resized = offset is double o
            ? nn.functional.interpolate(grid, scale_factor: [(gridHeight + o) / m, (gridWidth + o) / m],
                mode: InterpolationMode.Bicubic, align_corners: false)
            : nn.functional.interpolate(grid, size: [gridHeight, gridWidth],
                mode: InterpolationMode.Bicubic, align_corners: false);
        if (resized.shape[2] != gridHeight || resized.shape[3] != gridWidth)
            throw new InvalidOperationException($"position grid resized to {resized.shape[2]}x{resized.shape[3]}, wanted {gridHeight}x{gridWidth}");
        return scope.MoveToOuter(resized.permute(0, 2, 3, 1).reshape(gridHeight * gridWidth, d).to(patch.dtype));
    }
}
