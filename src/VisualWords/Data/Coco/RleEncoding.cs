using TorchSharp;
using static TorchSharp.torch;

namespace VisualWords.Data;

/// <summary>
/// Binary masks (row-major H x W, as our tensors are) to and from COCO run lengths (column-major,
/// as pycocotools' Fortran-ordered masks are).
/// </summary>
public static class RleEncoding
{
    public static Rle Encode(ReadOnlySpan<bool> mask, int height, int width)
    {
        if (mask.Length != (long)height * width)
            throw new BadInputException($"mask has {mask.Length} pixels, expected {height}x{width}");
        var counts = new List<uint>();
        bool previous = false;
        uint run = 0;
        for (int x = 0; x < width; x++)
            for (int y = 0; y < height; y++)
            {
                bool v = mask[y * width + x];
                if (v != previous) { counts.Add(run); run = 0; previous = v; }
                run++;
            }
        counts.Add(run);
        return new Rle(height, width, counts.ToArray());
    }

    /// <summary>Encodes a bool (or any nonzero-is-set) tensor of shape [H, W].</summary>
    public static Rle Encode(Tensor mask)
    {
        if (mask.dim() != 2) throw new BadInputException($"mask must be [H, W], got [{string.Join(", ", mask.shape)}]");
        using var scope = NewDisposeScope();
        var flat = mask.to(CPU).ne(0).contiguous().data<bool>().ToArray();
        return Encode(flat, (int)mask.shape[0], (int)mask.shape[1]);
    }

    /// <summary>Decodes into a row-major H x W array.</summary>
    public static bool[] Decode(Rle rle)
    {
        long total = rle.PixelCount;
        var mask = new bool[total];
        long p = 0;
        bool v = false;
        int h = rle.Height, w = rle.Width;
        foreach (var c in rle.Counts)
        {
            if (p + c > total) throw new BadInputException($"RLE counts sum past {rle.Height}x{rle.Width} pixels");
            if (v)
                for (long q = p; q < p + c; q++) mask[(q % h) * w + q / h] = true;
            p += c;
            v = !v;
        }
        return mask;
    }

    /// <summary>Decodes into a bool tensor [H, W].</summary>
    public static Tensor DecodeTensor(Rle rle) =>
        torch.tensor(Decode(rle), new long[] { rle.Height, rle.Width }, dtype: ScalarType.Bool);
}
