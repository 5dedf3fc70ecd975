using VisualWords.Data;
using static TorchSharp.torch;

namespace VisualWords.Sam.Amg;

/// <summary>
/// A binary mask as COCO's uncompressed run-length encoding: pixels in column-major (Fortran) order,
/// alternating runs of false and true, always starting with a (possibly empty) run of false.
/// </summary>
public sealed record MaskRle(int Height, int Width, long[] Counts)
{
    /// <summary>Number of true pixels (the odd runs).</summary>
    public long Area
    {
        get
        {
            long a = 0;
            for (int i = 1; i < Counts.Length; i += 2) a += Counts[i];
            return a;
        }
    }

    /// <summary>
    /// Encodes bool masks [B, H, W]. The run boundaries are found for the whole batch in one torch op
    /// (a shifted xor); only the grouping of boundary positions per mask is a C# loop.
    /// </summary>
    public static List<MaskRle> Encode(Tensor masks)
    {
        if (masks.dim() != 3) throw new ArgumentException("masks must be [B, H, W]");
        int b = (int)masks.shape[0], h = (int)masks.shape[1], w = (int)masks.shape[2];
        var result = new List<MaskRle>(b);
        if (b == 0) return result;
        long n = (long)h * w;
        using var scope = NewDisposeScope();
        var flat = masks.to(ScalarType.Bool).permute(0, 2, 1).reshape(b, n);
        var first = flat[.., 0].cpu().data<bool>().ToArray();
        long[] change = n > 1
            ? flat[.., 1..].logical_xor(flat[.., ..^1]).nonzero().cpu().contiguous().data<long>().ToArray()
            : [];
        int k = 0;
        for (int i = 0; i < b; i++)
        {
            var counts = new List<long>();
            if (first[i]) counts.Add(0);
            long prev = 0;
            for (; 2 * k < change.Length && change[2 * k] == i; k++)   // change is [K, 2] (mask, position) pairs
            {
                long boundary = change[2 * k + 1] + 1;
                counts.Add(boundary - prev);
                prev = boundary;
            }
            counts.Add(n - prev);
            result.Add(new MaskRle(h, w, counts.ToArray()));
        }
        return result;
    }

    /// <summary>Decodes to a row-major bool array of Height×Width.</summary>
    public bool[] ToArray()
    {
        long n = (long)Height * Width;
        var colMajor = new bool[n];
        long idx = 0;
        bool value = false;
        foreach (var c in Counts)
        {
            if (c < 0 || idx + c > n) throw new BadInputException($"RLE counts overrun a {Height}x{Width} mask");
            if (value) Array.Fill(colMajor, true, (int)idx, (int)c);
            idx += c;
            value = !value;
        }
        if (idx != n) throw new BadInputException($"RLE counts cover {idx} pixels, the mask has {n}");
        var rowMajor = new bool[n];
        for (int x = 0; x < Width; x++)
        {
            int col = x * Height;
            for (int y = 0; y < Height; y++) rowMajor[y * Width + x] = colMajor[col + y];
        }
        return rowMajor;
    }

    /// <summary>Decodes to a bool tensor [H, W].</summary>
    public Tensor ToTensor() => tensor(ToArray(), [Height, Width]);

    /// <summary>Encodes one row-major bool mask.</summary>
    public static MaskRle FromArray(bool[] mask, int h, int w)
    {
        using var t = tensor(mask, [1, h, w]);
        return Encode(t)[0];
    }

    /// <summary>The same mask as the COCO helpers' <see cref="Rle"/> (counts fit 32 bits: at most H·W).</summary>
    public Rle ToCocoRle() => new(Height, Width, Counts.Select(c => checked((uint)c)).ToArray());

    /// <summary>COCO's compressed string form (pycocotools' <c>rleToString</c>), by <see cref="RleString"/>.</summary>
    public string ToCocoString() => RleString.Compress(ToCocoRle());

    /// <summary>Parses COCO's compressed string form (inverse of <see cref="ToCocoString"/>).</summary>
    public static MaskRle FromCocoString(string s, int h, int w) =>
        new(h, w, RleString.Decompress(s, h, w).Counts.Select(c => (long)c).ToArray());
}
