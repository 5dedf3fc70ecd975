namespace VisualWords.Data;

/// <summary>
/// COCO's compressed RLE string: each count (from the fourth on, as the difference to the count
/// two places before, so alternating runs of similar length stay short) is written as a
/// little-endian signed varint of 5-bit groups, one ASCII character (48 + group) each, bit 0x20
/// marking "more follows". The "from the fourth" (i &gt; 2) rule is the reference's, kept for
/// byte-identical strings.
/// </summary>
public static class RleString
{
    public static string Compress(Rle rle)
    {
        var sb = new System.Text.StringBuilder(rle.Counts.Length * 2);
        var c = rle.Counts;
        for (int i = 0; i < c.Length; i++)
        {
            long x = c[i];
            if (i > 2) x -= c[i - 2];
            bool more = true;
            while (more)
            {
                int group = (int)(x & 0x1f);
                x >>= 5;
                more = (group & 0x10) != 0 ? x != -1 : x != 0;
                if (more) group |= 0x20;
                sb.Append((char)(group + 48));
            }
        }
        return sb.ToString();
    }

    public static Rle Decompress(string s, int height, int width)
    {
        var counts = new List<uint>(s.Length);
        int p = 0;
        while (p < s.Length)
        {
            long x = 0;
            int k = 0;
            bool more = true;
            while (more)
            {
                if (p >= s.Length) throw new BadInputException("compressed RLE string ends inside a count");
                int group = s[p] - 48;
                if (group < 0 || group > 63) throw new BadInputException($"compressed RLE string has invalid character '{s[p]}' at {p}");
                if (k > 12) throw new BadInputException("compressed RLE string has a count longer than 64 bits");
                x |= (long)(group & 0x1f) << (5 * k);
                more = (group & 0x20) != 0;
                p++;
                k++;
                if (!more && (group & 0x10) != 0) x |= -1L << (5 * k);
            }
            if (counts.Count > 2) x += counts[^2];
            counts.Add(unchecked((uint)x));
        }
        return new Rle(height, width, counts.ToArray());
    }
}
