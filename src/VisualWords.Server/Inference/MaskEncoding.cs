using VisualWords.Data;
using VisualWords.Imaging;
using VisualWords.Server.Http;

namespace VisualWords.Server.Inference;

/// <summary>A mask as the API sends it: a PNG data URL (for the page) and COCO RLE (for programs).</summary>
public static class MaskEncoding
{
    public static string PngDataUrl(bool[] mask, int width, int height) =>
        "data:image/png;base64," + Convert.ToBase64String(ImageIO.EncodeMaskPng(mask, width, height));

    public static RleJson Rle(bool[] mask, int width, int height) =>
        new([height, width], RleString.Compress(RleEncoding.Encode(mask, height, width)));

    public static long Area(bool[] mask) => mask.LongCount(b => b);
}
