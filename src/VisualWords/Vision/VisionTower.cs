using TorchSharp;
using static TorchSharp.torch;

namespace VisualWords.Vision;

/// <summary>
/// What every vision tower shares: configuration facts, the patch grid for an input size, and
/// pixel normalization. forward: B x 3 x H x W normalized pixels → B x (H/p · W/p) x C patch
/// features of the configured layer, special tokens (CLS, registers) dropped, row-major grid.
/// </summary>
public abstract class VisionTower : nn.Module<Tensor, Tensor>
{
    protected VisionTower(string name, VisionTowerConfig config) : base(name) => Config = config;

    public VisionTowerConfig Config { get; }
    public int HiddenSize => Config.HiddenSize;
    public int PatchSize => Config.PatchSize;

    /// <summary>The patch grid for an input of height x width pixels (both multiples of the patch size).</summary>
    public (int Height, int Width) GridSize(long height, long width)
    {
        if (height <= 0 || width <= 0 || height % PatchSize != 0 || width % PatchSize != 0)
            throw new BadInputException(
                $"image of {height}x{width} pixels does not tile into {PatchSize}x{PatchSize} patches; resize to a multiple of {PatchSize} first");
        return ((int)(height / PatchSize), (int)(width / PatchSize));
    }

    /// <summary>B x 3 x H x W RGB in 0..255 → the mean/std normalization the tower was trained with.</summary>
    public Tensor Normalize(Tensor rgb255)
    {
        using var scope = NewDisposeScope();
        if (rgb255.dim() != 4 || rgb255.shape[1] != 3)
            throw new BadInputException($"expected B x 3 x H x W pixels, got [{string.Join(", ", rgb255.shape)}]");
        var mean = tensor(Config.PixelMean, device: rgb255.device).view(1, 3, 1, 1);
        var std = tensor(Config.PixelStd, device: rgb255.device).view(1, 3, 1, 1);
        return scope.MoveToOuter((rgb255.to(float32) / 255f - mean) / std);
    }

    /// <summary>HF's hidden_states index (0 = embeddings, L = last layer; negative counts from the end).</summary>
    protected static int ResolveLayer(int featureLayer, int layers)
    {
        var index = featureLayer < 0 ? layers + 1 + featureLayer : featureLayer;
        if (index < 0 || index > layers)
            throw new BadInputException($"feature layer {featureLayer} is outside 0..{layers} (or -{layers + 1}..-1)");
        return index;
    }

    protected void CheckPixels(Tensor pixels)
    {
        if (pixels.dim() != 4 || pixels.shape[1] != 3)
            throw new BadInputException($"expected B x 3 x H x W pixels, got [{string.Join(", ", pixels.shape)}]");
        GridSize(pixels.shape[2], pixels.shape[3]);
    }
}
