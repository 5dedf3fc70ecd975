using System.Text.Json;

namespace VisualWords.Data;

/// <summary>
/// A COCO annotation's <c>segmentation</c> to one mask, by pycocotools' rules (COCO.annToRLE and
/// mask.frPyObjects): a list of polygons is rasterized part by part and the parts are united;
/// <c>{"size":[h,w],"counts":[...]}</c> is an uncompressed RLE taken as is;
/// <c>{"size":[h,w],"counts":"..."}</c> is the compressed string form.
/// </summary>
public static class CocoSegmentation
{
    /// <param name="segmentation">the annotation's <c>segmentation</c> value</param>
    /// <param name="height">the image's height (polygons are rasterized at image size)</param>
    /// <param name="width">the image's width</param>
    public static Rle ToRle(JsonElement segmentation, int height, int width)
    {
        switch (segmentation.ValueKind)
        {
            case JsonValueKind.Array:
                return FromPolygons(ReadPolygons(segmentation), height, width);
            case JsonValueKind.Object:
                var rle = ReadRle(segmentation);
                if (rle.Height != height || rle.Width != width)
                    throw new BadInputException($"RLE size {rle.Height}x{rle.Width} differs from the image's {height}x{width}");
                return rle;
            default:
                throw new BadInputException($"segmentation must be a list of polygons or an RLE object, not {segmentation.ValueKind}");
        }
    }

    /// <summary>
    /// Unites the parts of a polygon segmentation. As in pycocotools, when the first part has
    /// exactly 4 numbers every part is read as a box [x, y, w, h] instead.
    /// </summary>
    public static Rle FromPolygons(IReadOnlyList<double[]> parts, int height, int width)
    {
        if (parts.Count == 0) throw new BadInputException("segmentation is an empty list of polygons");
        bool boxes = parts[0].Length == 4;
        if (!boxes && parts[0].Length < 6)
            throw new BadInputException($"polygon has {parts[0].Length} numbers; a polygon needs at least 3 points");
        var rles = parts.Select(p => boxes
            ? (p.Length == 4 ? PolygonRasterizer.FromBox(p[0], p[1], p[2], p[3], height, width)
                             : throw new BadInputException($"box has {p.Length} numbers, expected 4"))
            : PolygonRasterizer.FromPolygon(p, height, width)).ToList();
        return RleOps.Merge(rles);
    }

    static List<double[]> ReadPolygons(JsonElement list)
    {
        var parts = new List<double[]>();
        foreach (var part in list.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Array)
                throw new BadInputException($"polygon segmentation part must be a list of numbers, not {part.ValueKind}");
            parts.Add(part.EnumerateArray().Select(ReadNumber).ToArray());
        }
        return parts;
    }

    static Rle ReadRle(JsonElement obj)
    {
        if (!obj.TryGetProperty("size", out var size) || size.ValueKind != JsonValueKind.Array || size.GetArrayLength() != 2)
            throw new BadInputException("RLE segmentation needs \"size\": [height, width]");
        int h = size[0].GetInt32(), w = size[1].GetInt32();
        if (!obj.TryGetProperty("counts", out var counts))
            throw new BadInputException("RLE segmentation needs \"counts\"");
        return counts.ValueKind switch
        {
            JsonValueKind.String => RleString.Decompress(counts.GetString()!, h, w),
            JsonValueKind.Array => new Rle(h, w, counts.EnumerateArray().Select(c =>
                c.TryGetUInt32(out var n) ? n : throw new BadInputException($"RLE count {c} is not a non-negative integer")).ToArray()),
            _ => throw new BadInputException($"RLE \"counts\" must be a string or a list, not {counts.ValueKind}"),
        };
    }

    static double ReadNumber(JsonElement e) =>
        e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw new BadInputException($"polygon coordinate {e} is not a number");
}
