namespace VisualWords.Sam.Amg;

/// <summary>A crop of the original image in pixel XYXY (x1, y1 exclusive) and the crop layer it belongs to.</summary>
public readonly record struct CropBox(int X0, int Y0, int X1, int Y1, int Layer)
{
    public int Width => X1 - X0;
    public int Height => Y1 - Y0;
    public int[] Xyxy => [X0, Y0, X1, Y1];
    public int[] Xywh => [X0, Y0, X1 - X0, Y1 - Y0];
    public bool IsWholeImage(int imageH, int imageW) => X0 == 0 && Y0 == 0 && X1 == imageW && Y1 == imageH;
}

/// <summary>
/// The crops of everything mode: layer 0 is the whole image, layer i (1-based) tiles it with
/// 2^i × 2^i overlapping crops whose overlap shrinks with depth. Order: layer, then x0, then y0
/// (the reference iterates the product of x starts and y starts).
/// </summary>
public static class CropBoxes
{
    public static List<CropBox> Generate(int imageH, int imageW, int nLayers, double overlapRatio)
    {
        if (imageH < 1 || imageW < 1) throw new BadInputException($"image size must be positive (got {imageW}x{imageH})");
        if (nLayers < 0) throw new BadInputException($"crop_n_layers must be >= 0 (got {nLayers})");
        if (overlapRatio < 0 || overlapRatio >= 1) throw new BadInputException($"crop_overlap_ratio must be in [0, 1) (got {overlapRatio})");
        var boxes = new List<CropBox> { new(0, 0, imageW, imageH, 0) };
        int shortSide = Math.Min(imageH, imageW);
        for (int layer = 0; layer < nLayers; layer++)
        {
            int perSide = 1 << (layer + 1);
            int overlap = (int)(overlapRatio * shortSide * (2.0 / perSide));
            int cropW = CropLength(imageW, perSide, overlap);
            int cropH = CropLength(imageH, perSide, overlap);
            for (int i = 0; i < perSide; i++)
            {
                int x0 = (cropW - overlap) * i;
                for (int j = 0; j < perSide; j++)
                {
                    int y0 = (cropH - overlap) * j;
                    boxes.Add(new CropBox(x0, y0, Math.Min(x0 + cropW, imageW), Math.Min(y0 + cropH, imageH), layer + 1));
                }
            }
        }
        return boxes;
    }

    // n crops of this length with `overlap` pixels between neighbours exactly cover the side.
    static int CropLength(int length, int nCrops, int overlap) =>
        (int)Math.Ceiling((overlap * (nCrops - 1) + length) / (double)nCrops);
}
