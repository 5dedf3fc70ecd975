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

    /// <summary>
    /// Encodes a batch of masks [B, H, W] (everything mode's). The run boundaries are found for the whole
    /// batch in one torch op (a shifted xor); only the grouping of boundary positions per mask is a C# loop.
    /// </summary>
    public static List<Rle> EncodeBatch(Tensor masks)
    {
        if (masks.dim() != 3) throw new ArgumentException("masks must be [B, H, W]");
        int b = (int)masks.shape[0], h = (int)masks.shape[1], w = (int)masks.shape[2];
        var result = new List<Rle>(b);
        if (b == 0) return result;
        long n = (long)h * w;
        using var scope = NewDisposeScope();
        var flat = masks.to(ScalarType.Bool).permute(0, 2, 1).reshape(b, n);
        var first = flat[.., 0].cpu().data<bool>().ToArray();
        long[] change = [];
        if (n > 1)
        {
            var boundaries = flat[.., 1..].logical_xor(flat[.., ..^1]).nonzero();
            if (boundaries.numel() > 0) change = boundaries.cpu().contiguous().data<long>().ToArray();   // no run boundary at all: data<> of an empty tensor throws
        }
        int k = 0;
        for (int i = 0; i < b; i++)
        {
            var counts = new List<uint>();
            if (first[i]) counts.Add(0);
            long prev = 0;
            for (; 2 * k < change.Length && change[2 * k] == i; k++)   // change is [K, 2] (mask, position) pairs
            {
                long boundary = change[2 * k + 1] + 1;
                counts.Add(checked((uint)(boundary - prev)));
                prev = boundary;
            }
            counts.Add(checked((uint)(n - prev)));
            result.Add(new Rle(h, w, counts.ToArray()));
        }
        return result;
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
