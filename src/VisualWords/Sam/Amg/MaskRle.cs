using System.Text;
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

    /// <summary>
    /// COCO's compressed string form (pycocotools' <c>rleToString</c>): each count, from the fourth on
    /// as a difference to the count two places earlier, written 5 bits per character (ASCII 48..111)
    /// with a continuation bit, sign-extended on the last character.
    /// </summary>
    public string ToCocoString()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < Counts.Length; i++)
        {
            long x = Counts[i];
            if (i > 2) x -= Counts[i - 2];
            bool more = true;
            while (more)
            {
                long c = x & 0x1f;
                x >>= 5;
                more = (c & 0x10) != 0 ? x != -1 : x != 0;
                if (more) c |= 0x20;
                sb.Append((char)(c + 48));
            }
        }
        return sb.ToString();
    }

    /// <summary>Parses COCO's compressed string form (inverse of <see cref="ToCocoString"/>).</summary>
    public static MaskRle FromCocoString(string s, int h, int w)
    {
        var counts = new List<long>();
        int p = 0;
        while (p < s.Length)
        {
            long x = 0;
            int k = 0;
            bool more = true;
            while (more)
            {
                if (p >= s.Length) throw new BadInputException("truncated COCO RLE string");
                long c = s[p] - 48;
                if (c < 0 || c > 63) throw new BadInputException($"invalid character '{s[p]}' in COCO RLE string");
                x |= (c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0) x |= -1L << (5 * k);
            }
            if (counts.Count > 2) x += counts[^2];
            counts.Add(x);
        }
        return new MaskRle(h, w, counts.ToArray());
    }
}
