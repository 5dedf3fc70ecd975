using System.Text.Json;
using VisualWords.Data;
using Xunit;

namespace VisualWords.Tests.Data;

/// <summary>
/// Our COCO mask helpers against goldens computed by cocoapi's maskApi.c
/// (tools/parity/coco_goldens.py), plus hand-checked cases.
/// </summary>
public class CocoMaskTests
{
    static readonly JsonElement Goldens = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(AppContext.BaseDirectory, "fixtures", "coco", "mask_goldens.json"))).RootElement;

    static uint[] Counts(JsonElement e) => e.EnumerateArray().Select(c => c.GetUInt32()).ToArray();
    static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(c => c.GetDouble()).ToArray();

    static void AssertRecord(JsonElement g, Rle rle)
    {
        if (g.TryGetProperty("counts", out var counts)) Assert.Equal(Counts(counts), rle.Counts);
        Assert.Equal(g.GetProperty("string").GetString(), RleString.Compress(rle));
        Assert.Equal(g.GetProperty("area").GetInt64(), RleOps.Area(rle));
        Assert.Equal(Doubles(g.GetProperty("bbox")), RleOps.BoundingBox(rle));
    }

    [Fact]
    public void Polygons_match_reference_rasterizer()
    {
        int n = 0;
        foreach (var g in Goldens.GetProperty("polygons").EnumerateArray())
        {
            int h = g.GetProperty("h").GetInt32(), w = g.GetProperty("w").GetInt32();
            AssertRecord(g, PolygonRasterizer.FromPolygon(Doubles(g.GetProperty("poly")), h, w));
            n++;
        }
        Assert.Equal(63, n);
    }

    [Fact]
    public void Boxes_match_reference()
    {
        foreach (var g in Goldens.GetProperty("boxes").EnumerateArray())
        {
            var b = Doubles(g.GetProperty("bbox_in"));
            AssertRecord(g, PolygonRasterizer.FromBox(b[0], b[1], b[2], b[3], g.GetProperty("h").GetInt32(), g.GetProperty("w").GetInt32()));
        }
    }

    [Fact]
    public void Masks_encode_and_decode_like_reference()
    {
        foreach (var g in Goldens.GetProperty("masks").EnumerateArray())
        {
            int h = g.GetProperty("h").GetInt32(), w = g.GetProperty("w").GetInt32();
            var mask = string.Concat(g.GetProperty("rows").EnumerateArray().Select(r => r.GetString())).Select(c => c == '1').ToArray();
            var rle = RleEncoding.Encode(mask, h, w);
            AssertRecord(g, rle);
            Assert.Equal(mask, RleEncoding.Decode(rle));
            Assert.Equal(rle, RleString.Decompress(RleString.Compress(rle), h, w));
        }
    }

    [Fact]
    public void Merges_match_reference()
    {
        foreach (var g in Goldens.GetProperty("merges").EnumerateArray())
        {
            int h = g.GetProperty("h").GetInt32(), w = g.GetProperty("w").GetInt32();
            var parts = g.GetProperty("parts").EnumerateArray().Select(p => new Rle(h, w, Counts(p))).ToList();
            Assert.Equal(Counts(g.GetProperty("union")), RleOps.Merge(parts).Counts);
            Assert.Equal(Counts(g.GetProperty("intersect")), RleOps.Merge(parts, intersect: true).Counts);
        }
    }

    [Fact]
    public void Strings_with_large_counts_and_negative_deltas_match_reference()
    {
        foreach (var g in Goldens.GetProperty("strings").EnumerateArray())
        {
            var counts = Counts(g.GetProperty("counts"));
            var rle = new Rle(1, 1, counts);
            Assert.Equal(g.GetProperty("string").GetString(), RleString.Compress(rle));
            Assert.Equal(counts, RleString.Decompress(g.GetProperty("string").GetString()!, 1, 1).Counts);
        }
    }

    [Fact]
    public void Real_refcocog_polygons_match_reference()
    {
        var inst = JsonDocument.Parse(File.ReadAllText(
            Path.Combine(AppContext.BaseDirectory, "fixtures", "refcocog-umd-sample", "instances.json"))).RootElement;
        var images = inst.GetProperty("images").EnumerateArray().ToDictionary(i => i.GetProperty("id").GetInt64());
        var expected = Goldens.GetProperty("refcocog").EnumerateArray().ToDictionary(g => g.GetProperty("id").GetInt64());
        Assert.Equal(108, expected.Count);
        foreach (var ann in inst.GetProperty("annotations").EnumerateArray())
        {
            var img = images[ann.GetProperty("image_id").GetInt64()];
            var rle = CocoSegmentation.ToRle(ann.GetProperty("segmentation"), img.GetProperty("height").GetInt32(), img.GetProperty("width").GetInt32());
            AssertRecord(expected[ann.GetProperty("id").GetInt64()], rle);
        }
    }

    [Fact]
    public void Hand_checked_square_and_triangle()
    {
        // A 2x2 square with corners on pixel corners covers exactly pixels (1..2, 1..2) of a 4x4 canvas.
        var square = PolygonRasterizer.FromPolygon([1, 1, 3, 1, 3, 3, 1, 3], 4, 4);
        Assert.Equal(new uint[] { 5, 2, 2, 2, 5 }, square.Counts);
        Assert.Equal("52203", RleString.Compress(square));
        var m = RleEncoding.Decode(square);
        Assert.Equal(new[] { false, false, false, false, false, true, true, false, false, true, true, false, false, false, false, false }, m);
        Assert.Equal(new double[] { 1, 1, 2, 2 }, RleOps.BoundingBox(square));
        // The right triangle (0,0),(6,0),(0,5): pixel centres on or under the hypotenuse.
        var tri = PolygonRasterizer.FromPolygon([0, 0, 6, 0, 0, 5], 5, 6);
        Assert.Equal(new uint[] { 0, 9, 1, 3, 2, 2, 3, 1, 9 }, tri.Counts);
        Assert.Equal(15, RleOps.Area(tri));
    }

    [Fact]
    public void Segmentation_forms_agree()
    {
        // A 3x2 mask with pixels (0,0),(1,0),(2,1) set: as counts, as string, as decoded rows.
        var counts = JsonDocument.Parse("{\"size\":[3,2],\"counts\":[0,2,3,1]}").RootElement;
        var rle = CocoSegmentation.ToRle(counts, 3, 2);
        var asString = JsonDocument.Parse($"{{\"size\":[3,2],\"counts\":\"{RleString.Compress(rle)}\"}}").RootElement;
        Assert.Equal(rle, CocoSegmentation.ToRle(asString, 3, 2));
        Assert.Equal(new[] { true, false, true, false, false, true }, RleEncoding.Decode(rle));
        Assert.Throws<BadInputException>(() => CocoSegmentation.ToRle(counts, 4, 2));
        Assert.Throws<BadInputException>(() => CocoSegmentation.ToRle(JsonDocument.Parse("[[1,2]]").RootElement, 3, 2));
        Assert.Throws<BadInputException>(() => RleString.Decompress("0!", 3, 2));
    }

    [Fact]
    public void Tensor_round_trip()
    {
        using var t = TorchSharp.torch.tensor(new[] { true, false, true, true, false, false }, new long[] { 2, 3 });
        var rle = RleEncoding.Encode(t);
        // [[1,0,1],[1,0,0]] column by column: 1 1 | 0 0 | 1 0
        Assert.Equal(new uint[] { 0, 2, 2, 1, 1 }, rle.Counts);
        using var back = RleEncoding.DecodeTensor(rle);
        Assert.True(back.eq(t).all().item<bool>());
        Assert.Equal(new long[] { 2, 3 }, back.shape);
    }
}
