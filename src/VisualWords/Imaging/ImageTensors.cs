using static TorchSharp.torch;

namespace VisualWords.Imaging;

/// <summary>Conversions between <see cref="RgbImage"/> and tensors.</summary>
public static class ImageTensors
{
    /// <summary>uint8 [H, W, 3].</summary>
    public static Tensor ToTensorHWC(RgbImage img) =>
        tensor(img.Pixels, new long[] { img.Height, img.Width, 3 }, ScalarType.Byte);

    /// <summary>float32 [3, H, W] with values 0..255 (SAM and CLIP normalise from there).</summary>
    public static Tensor ToFloatCHW(RgbImage img)
    {
        using var hwc = ToTensorHWC(img);
        return hwc.permute(2, 0, 1).to(ScalarType.Float32).contiguous();
    }

    /// <summary>From uint8 [H, W, 3] (or float 0..255, rounded and clamped).</summary>
    public static RgbImage FromHWC(Tensor hwc)
    {
        if (hwc.dim() != 3 || hwc.shape[2] != 3) throw new ArgumentException($"expected [H, W, 3], got [{string.Join(", ", hwc.shape)}]");
        using var scope = NewDisposeScope();
        var u8 = hwc.dtype == ScalarType.Byte ? hwc : hwc.round().clamp(0, 255).to(ScalarType.Byte);
        var bytes = u8.cpu().contiguous().data<byte>().ToArray();
        return new RgbImage((int)hwc.shape[1], (int)hwc.shape[0], bytes);
    }

    /// <summary>From float [3, H, W] with values 0..255.</summary>
    public static RgbImage FromFloatCHW(Tensor chw)
    {
        using var hwc = chw.permute(1, 2, 0);
        return FromHWC(hwc);
    }

    /// <summary>A bool [H, W] tensor to a flat row-major array (for mask PNGs).</summary>
    public static bool[] MaskToArray(Tensor mask) => mask.to(ScalarType.Bool).cpu().contiguous().data<bool>().ToArray();
}
