using static TorchSharp.torch;

namespace VisualWords.Sam.Amg;

/// <summary>Crop-frame ↔ image-frame moves and the crop-edge filter of everything mode.</summary>
public static class CropEdges
{
    /// <summary>
    /// True for boxes (crop frame, XYXY [N,4]) with a side within <paramref name="atol"/> pixels of the
    /// crop's border where that border is not also the image's border: such masks are probably cut
    /// off by the crop and a neighbouring crop sees them whole.
    /// </summary>
    public static Tensor IsBoxNearCropEdge(Tensor boxes, CropBox crop, int imageH, int imageW, double atol = 20.0)
    {
        using var scope = NewDisposeScope();
        var cropT = tensor(new float[] { crop.X0, crop.Y0, crop.X1, crop.Y1 }, device: boxes.device).unsqueeze(0);
        var origT = tensor(new float[] { 0, 0, imageW, imageH }, device: boxes.device).unsqueeze(0);
        var b = UncropBoxes(boxes, crop).to(ScalarType.Float32);
        var nearCrop = (b - cropT).abs() <= atol;
        var nearImage = (b - origT).abs() <= atol;
        return scope.MoveToOuter(nearCrop.logical_and(nearImage.logical_not()).any(1));
    }

    /// <summary>XYXY boxes [..., 4] from the crop frame to the image frame.</summary>
    public static Tensor UncropBoxes(Tensor boxes, CropBox crop)
    {
        using var scope = NewDisposeScope();
        var offset = tensor(new long[] { crop.X0, crop.Y0, crop.X0, crop.Y0 }, device: boxes.device);
        return scope.MoveToOuter(boxes + offset.to(boxes.dtype));
    }

    /// <summary>(x, y) points [..., 2] from the crop frame to the image frame.</summary>
    public static Tensor UncropPoints(Tensor points, CropBox crop)
    {
        using var scope = NewDisposeScope();
        var offset = tensor(new long[] { crop.X0, crop.Y0 }, device: points.device);
        return scope.MoveToOuter(points + offset.to(points.dtype));
    }

    /// <summary>Masks [..., cropH, cropW] padded with false to the image size [..., H, W].</summary>
    public static Tensor UncropMasks(Tensor masks, CropBox crop, int imageH, int imageW)
    {
        if (crop.IsWholeImage(imageH, imageW)) return masks.alias();
        int padX = imageW - crop.Width, padY = imageH - crop.Height;
        var asByte = masks.to(ScalarType.Byte);
        var padded = nn.functional.pad(asByte, [crop.X0, padX - crop.X0, crop.Y0, padY - crop.Y0], value: 0);
        asByte.Dispose();
        var result = padded.to(masks.dtype);
        padded.Dispose();
        return result;
    }
}
