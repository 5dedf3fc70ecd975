using static TorchSharp.torch;

namespace VisualWords.Projectors;

/// <summary>
/// Fixed 2-D sine-cosine position table for a patch grid (MAE style): the first half of the
/// channels encodes the row, the second half the column, each as sin/cos pairs over geometric
/// frequencies 1/10000^(k/(C/4)). Positions are patch centres in patch units.
/// </summary>
public static class SinCosPositions
{
    /// <summary>(h·w) x width float32, row-major over the grid.</summary>
    public static Tensor Table(int gridHeight, int gridWidth, int width, Device? device = null)
    {
        if (width % 4 != 0) throw new BadInputException($"2-D sin-cos positions need a width divisible by 4 (got {width})");
        using var scope = NewDisposeScope();
        var quarter = width / 4;
        var omega = pow(10000f, -arange(quarter, dtype: float32, device: device) / quarter);
        var ys = (arange(gridHeight, dtype: float32, device: device) + 0.5f).repeat_interleave(gridWidth);
        var xs = (arange(gridWidth, dtype: float32, device: device) + 0.5f).repeat(gridHeight);
        Tensor Encode(Tensor pos)
        {
            var angles = pos.unsqueeze(1) * omega.unsqueeze(0);
            return cat([angles.sin(), angles.cos()], 1);
        }
        return scope.MoveToOuter(cat([Encode(ys), Encode(xs)], 1));
    }
}
