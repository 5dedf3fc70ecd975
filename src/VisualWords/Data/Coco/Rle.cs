namespace VisualWords.Data;

/// <summary>
/// A binary mask as COCO run lengths: <see cref="Counts"/> alternate zeros and ones over the
/// pixels in column-major order (down each column, then the next column), starting with a run of
/// zeros that may be empty. This is pycocotools' "uncompressed RLE"; <see cref="RleString"/> gives
/// the compressed string form.
/// </summary>
public sealed class Rle : IEquatable<Rle>
{
    public int Height { get; }
    public int Width { get; }
    public uint[] Counts { get; }

    public Rle(int height, int width, uint[] counts)
    {
        if (height < 0 || width < 0) throw new BadInputException($"RLE size {height}x{width} is negative");
        Height = height;
        Width = width;
        Counts = counts;
    }

    public long PixelCount => (long)Height * Width;

    public bool Equals(Rle? other) =>
        other is not null && other.Height == Height && other.Width == Width && other.Counts.AsSpan().SequenceEqual(Counts);

    public override bool Equals(object? obj) => Equals(obj as Rle);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Height);
        h.Add(Width);
        foreach (var c in Counts) h.Add(c);
        return h.ToHashCode();
    }

    public override string ToString() => $"Rle {Height}x{Width} [{string.Join(',', Counts.Take(12))}{(Counts.Length > 12 ? ",..." : "")}]";
}
