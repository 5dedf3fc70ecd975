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
        long[] change = [];
        if (n > 1)
        {
            var boundaries = flat[.., 1..].logical_xor(flat[.., ..^1]).nonzero();
            if (boundaries.numel() > 0) change = boundaries.cpu().contiguous().data<long>().ToArray();   // no run boundary at all: data<> of an empty tensor throws
        }
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
        long n = (long)Height * Width, sum = 0;
        foreach (var c in Counts)
        {
            if (c < 0) throw new BadInputException($"RLE has a negative count for a {Height}x{Width} mask");
            sum += c;
        }
        if (sum != n) throw new BadInputException($"RLE counts cover {sum} pixels, the mask has {n}");
        return RleEncoding.Decode(ToDataRle());
    }

    /// <summary>The same run lengths as the dataset code's <see cref="Rle"/> (COCO masks, string codec).</summary>
    public Rle ToDataRle() => new(Height, Width, Counts.Select(c => checked((uint)c)).ToArray());

    public static MaskRle FromDataRle(Rle rle) => new(rle.Height, rle.Width, rle.Counts.Select(c => (long)c).ToArray());

    /// <summary>Decodes to a bool tensor [H, W].</summary>
    public Tensor ToTensor() => tensor(ToArray(), [Height, Width]);

    /// <summary>Encodes one row-major bool mask.</summary>
    public static MaskRle FromArray(bool[] mask, int h, int w)
    {
        using var t = tensor(mask, [1, h, w]);
        return Encode(t)[0];
    }

    /// <summary>COCO's compressed string form, as pycocotools writes it (<see cref="RleString"/>).</summary>
    public string ToCocoString() => RleString.Compress(ToDataRle());

    /// <summary>Parses COCO's compressed string form.</summary>
    public static MaskRle FromCocoString(string s, int h, int w) => FromDataRle(RleString.Decompress(s, h, w));
}
