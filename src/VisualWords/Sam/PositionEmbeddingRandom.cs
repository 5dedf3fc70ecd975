using TorchSharp;
using static TorchSharp.torch;

namespace VisualWords.Sam;

/// <summary>
/// Random-Fourier positional encoding: coordinates in [0,1]^2 map through a fixed Gaussian
/// 2 x F matrix to [sin, cos] features of width 2F.
/// </summary>
public sealed class PositionEmbeddingRandom : nn.Module
{
    readonly Tensor positional_encoding_gaussian_matrix;

    public PositionEmbeddingRandom(int numPosFeats, double scale = 1.0) : base(nameof(PositionEmbeddingRandom))
    {
        positional_encoding_gaussian_matrix = torch.randn(2, numPosFeats) * scale;
        RegisterComponents();
    }

    /// <summary>Encodes points already normalised to [0,1]: ... x 2 to ... x 2F.</summary>
    Tensor Encode(Tensor coords)
    {
        using var scope = torch.NewDisposeScope();
        var c = (2 * coords - 1).matmul(positional_encoding_gaussian_matrix);
        c = 2 * Math.PI * c;
        return torch.cat([torch.sin(c), torch.cos(c)], -1).MoveToOuterDisposeScope();
    }

    /// <summary>Encoding of every cell centre of an h x w grid: 2F x h x w.</summary>
    public Tensor Grid(long h, long w)
    {
        using var scope = torch.NewDisposeScope();
        var device = positional_encoding_gaussian_matrix.device;
        var y = (torch.arange(h, dtype: ScalarType.Float32, device: device) + 0.5f) / h;
        var x = (torch.arange(w, dtype: ScalarType.Float32, device: device) + 0.5f) / w;
        var yy = y.unsqueeze(1).expand(h, w);
        var xx = x.unsqueeze(0).expand(h, w);
        return Encode(torch.stack([xx, yy], -1)).permute(2, 0, 1).MoveToOuterDisposeScope();
    }

    /// <summary>Encodes pixel coordinates (x, y) of a W x H input: B x N x 2 to B x N x 2F.</summary>
    public Tensor WithCoords(Tensor coords, (long H, long W) imageSize)
    {
        using var scope = torch.NewDisposeScope();
        var size = torch.tensor(new float[] { imageSize.W, imageSize.H }, device: coords.device);
        return Encode(coords.to(ScalarType.Float32) / size).MoveToOuterDisposeScope();
    }
}
