namespace VisualWords.Imaging;

/// <summary>Nearest-neighbour resizing of row-major bool masks (a mask computed on a downscaled decode, written at full size).</summary>
public static class MaskResize
{
    public static bool[] Nearest(bool[] mask, int width, int height, int newWidth, int newHeight)
    {
        if (mask.Length != width * height) throw new ArgumentException("mask size does not match width x height");
        if (width == newWidth && height == newHeight) return mask;
        var result = new bool[checked(newWidth * newHeight)];
        var sourceX = new int[newWidth];
        for (int x = 0; x < newWidth; x++) sourceX[x] = Math.Min(width - 1, (int)((x + 0.5) * width / newWidth));
        for (int y = 0; y < newHeight; y++)
        {
            int sy = Math.Min(height - 1, (int)((y + 0.5) * height / newHeight));
            int row = sy * width, outRow = y * newWidth;
            for (int x = 0; x < newWidth; x++) result[outRow + x] = mask[row + sourceX[x]];
        }
        return result;
    }
}
