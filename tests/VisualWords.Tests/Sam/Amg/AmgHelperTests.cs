using VisualWords.Data;
using VisualWords.Imaging;
using VisualWords.Sam.Amg;
using Xunit;
using static TorchSharp.torch;

namespace VisualWords.Tests.Sam.Amg;

public class AmgHelperTests
{
    [Fact]
    public void PointGridIsRowMajorCellCentres()
    {
        using var g = PointGrids.BuildPointGrid(2);
        Assert.Equal(new double[] { 0.25, 0.25, 0.75, 0.25, 0.25, 0.75, 0.75, 0.75 }, g.data<double>().ToArray());
        var layers = PointGrids.BuildAllLayerPointGrids(5, 2, 2);
        Assert.Equal(new long[] { 25, 4, 1 }, layers.Select(t => t.shape[0]).ToArray());
        Assert.Equal(new double[] { 0.5, 0.5 }, layers[2].data<double>().ToArray());
    }

    [Fact]
    public void CropBoxesMatchTheReference()
    {
        // Expected values printed by segment_anything.utils.amg.generate_crop_boxes((300, 500), 2, 512/1500).
        int[][] expected =
        [
            [0, 0, 500, 300], [0, 0, 301, 201], [0, 99, 301, 300], [199, 0, 500, 201], [199, 99, 500, 300],
            [0, 0, 164, 114], [0, 63, 164, 177], [0, 126, 164, 240], [0, 189, 164, 300], [113, 0, 277, 114],
            [113, 63, 277, 177], [113, 126, 277, 240], [113, 189, 277, 300], [226, 0, 390, 114], [226, 63, 390, 177],
            [226, 126, 390, 240], [226, 189, 390, 300], [339, 0, 500, 114], [339, 63, 500, 177], [339, 126, 500, 240],
            [339, 189, 500, 300],
        ];
        var boxes = CropBoxes.Generate(300, 500, 2, 512.0 / 1500);
        Assert.Equal(expected.Length, boxes.Count);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], boxes[i].Xyxy);
        Assert.Equal(new[] { 0, 1, 1, 1, 1 }, boxes.Take(5).Select(b => b.Layer));
        Assert.All(boxes.Skip(5), b => Assert.Equal(2, b.Layer));
    }

    [Fact]
    public void BatchesCoverAllItemsInOrder()
    {
        using var t = arange(10);
        var sizes = BatchIterator.Batches(t, 4).Select(b => b.shape[0]).ToArray();
        Assert.Equal(new long[] { 4, 4, 2 }, sizes);
        Assert.Throws<BadInputException>(() => BatchIterator.Batches(t, 0).ToList());
    }

    [Fact]
    public void MaskToBoxAndRleMatchTheReference()
    {
        using var m = zeros([2, 5, 6], ScalarType.Bool);
        m[0, 1..3, 2..5] = true;
        using var box = MaskBoxes.BatchedMaskToBox(m);
        Assert.Equal(new long[] { 2, 1, 4, 2, 0, 0, 0, 0 }, box.data<long>().ToArray());
        using var xywh = MaskBoxes.XyxyToXywh(box);
        Assert.Equal(new long[] { 2, 1, 2, 1 }, xywh[0].data<long>().ToArray());
        var rles = RleEncoding.EncodeBatch(m);
        // Reference: mask_to_rle_pytorch gives counts [11, 2, 3, 2, 3, 2, 7] and [30].
        Assert.Equal(new uint[] { 11, 2, 3, 2, 3, 2, 7 }, rles[0].Counts);
        Assert.Equal(new uint[] { 30 }, rles[1].Counts);
        Assert.Equal(6, RleOps.Area(rles[0]));
        Assert.True(m[0].data<bool>().ToArray().SequenceEqual(RleEncoding.Decode(rles[0])));
        Assert.Equal(RleEncoding.Encode(m[0]), rles[0]);
    }

    [Fact]
    public void RleStartingWithForegroundHasLeadingZero()
    {
        var mask = new bool[] { true, true, false, true };   // 2x2 row-major; column-major: T F T T
        var rle = RleEncoding.Encode(mask, 2, 2);
        Assert.Equal(new uint[] { 0, 1, 1, 2 }, rle.Counts);
        Assert.Equal(mask, RleEncoding.Decode(rle));
        using var batch = tensor(mask, [1, 2, 2]);
        Assert.Equal(rle, RleEncoding.EncodeBatch(batch)[0]);
    }

    [Fact]
    public void CocoStringRoundTripsAndMatchesHandEncoding()
    {
        Assert.Equal("121", RleString.Compress(new Rle(2, 2, [1, 2, 1])));
        var rng = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            var mask = new bool[37 * 23];
            int run = 0; bool v = false;
            for (int i = 0; i < mask.Length; i++) { if (run-- <= 0) { v = !v; run = rng.Next(1, 200); } mask[i] = v; }
            var rle = RleEncoding.Encode(mask, 37, 23);
            var back = RleString.Decompress(RleString.Compress(rle), 37, 23);
            Assert.Equal(rle.Counts, back.Counts);
        }
        Assert.Throws<BadInputException>(() => RleString.Decompress("1 ", 2, 2));
    }

    [Fact]
    public void MaskRecordJsonWritesTheCompressedAndTheUncompressedRle()
    {
        var rec = new SamMaskRecord(new Rle(2, 2, [1, 2, 1]), 2, [0, 0, 1, 1], 0.5, [1.5, 0.5], 0.25, [0, 0, 2, 2], MultimaskIndex: 0, Level: 0);
        const string rest = "\"area\":2,\"bbox\":[0,0,1,1],\"predicted_iou\":0.5,\"point_coords\":[[1.5,0.5]],\"stability_score\":0.25,\"crop_box\":[0,0,2,2]}]";
        Assert.Equal("[{\"segmentation\":{\"size\":[2,2],\"counts\":\"121\"}," + rest, MaskRecordJson.ToJson([rec]));
        Assert.Equal("[{\"segmentation\":{\"size\":[2,2],\"counts\":[1,2,1]}," + rest, MaskRecordJson.ToJson([rec], MaskJsonMode.UncompressedRle));
    }

    [Fact]
    public void StabilityScoreIsTheIouOfTightAndLooseMasks()
    {
        using var logits = tensor(new float[] { 3f, 0.5f, -0.5f, -3f }, [1, 2, 2]);
        using var s = StabilityScore.Calculate(logits, 0.0, 1.0);
        Assert.Equal(1f / 3f, s.item<float>(), 6);
    }

    [Fact]
    public void NmsKeepsHighestScoreAndDropsOverlaps()
    {
        using var boxes = tensor(new float[] { 0, 0, 10, 10, 1, 1, 10, 10, 20, 20, 30, 30, 0, 0, 10, 10 }, [4, 4]);
        using var scores = tensor(new float[] { 0.5f, 0.9f, 0.3f, 0.5f });
        using var keep = BoxNms.Nms(boxes, scores, 0.7);
        // box 1 (IoU 0.81 with 0 and 3) wins; ties between 0 and 3 go to the lower index, both suppressed.
        Assert.Equal(new long[] { 1, 2 }, keep.data<long>().ToArray());
        using var keepLoose = BoxNms.Nms(boxes, scores, 0.9);
        Assert.Equal(new long[] { 1, 0, 2 }, keepLoose.data<long>().ToArray());
    }

    [Fact]
    public void CropEdgeFilterIgnoresImageBorders()
    {
        var crop = new CropBox(100, 0, 200, 100, 1);
        using var boxes = tensor(new long[] { 50, 50, 60, 60, 0, 0, 10, 10, 90, 40, 99, 60 }, [3, 4]);
        using var near = CropEdges.IsBoxNearCropEdge(boxes, crop, 100, 200);
        // box 1 touches the crop's left edge (x=100, not an image border); box 2 touches the image's right border; box 0 is inside.
        Assert.Equal(new[] { false, true, false }, near.data<bool>().ToArray());
        using var m = ones([1, 2, 3], ScalarType.Bool);
        using var padded = CropEdges.UncropMasks(m, new CropBox(1, 2, 4, 4, 1), 5, 6);
        Assert.Equal(new long[] { 1, 5, 6 }, padded.shape);
        Assert.Equal(6, padded.sum().item<long>());
        Assert.True(padded[0, 2, 1].item<bool>() && padded[0, 3, 3].item<bool>() && !padded[0, 1, 1].item<bool>());
    }

    [Fact]
    public void ConnectedComponentsRespectConnectivity()
    {
        // Diagonal pixels: one component with 8-connectivity, two with 4.
        var img = new bool[] { true, false, false, true };
        Assert.Equal(2, ConnectedComponents.Label(img, 2, 2, 8).Sizes.Length);
        var (labels4, sizes4) = ConnectedComponents.Label(img, 2, 2, 4);
        Assert.Equal(3, sizes4.Length);
        Assert.Equal(new[] { 1, 0, 0, 2 }, labels4);
        // A U shape whose arms only join at the bottom: union-find must merge the two provisional labels.
        var u = new bool[] { true, false, true, true, false, true, true, true, true };
        var (lu, su) = ConnectedComponents.Label(u, 3, 3, 4);
        Assert.Equal(new[] { 2, 7 }, su);
        Assert.All(lu.Where((_, i) => u[i]), l => Assert.Equal(1, l));
    }

    [Fact]
    public void SmallRegionsFillsHolesAndDropsIslands()
    {
        int h = 6, w = 6;
        var mask = new bool[h * w];
        for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) mask[y * w + x] = true;
        mask[1 * w + 1] = false;            // a 1-pixel hole
        mask[5 * w + 5] = true;             // a 1-pixel island
        var (filled, changed) = SmallRegions.Remove(mask, h, w, 2, SmallRegionMode.Holes);
        Assert.True(changed);
        Assert.True(filled[1 * w + 1]);
        var (clean, changed2) = SmallRegions.Remove(filled, h, w, 2, SmallRegionMode.Islands);
        Assert.True(changed2);
        Assert.False(clean[5 * w + 5]);
        Assert.Equal(16, clean.Count(b => b));
        var (same, changed3) = SmallRegions.Remove(clean, h, w, 2, SmallRegionMode.Islands);
        Assert.False(changed3);
        Assert.Same(clean, same);
        // All islands small: the largest survives.
        var two = new bool[h * w]; two[0] = true; two[2] = true; two[3] = true;
        var (kept, _) = SmallRegions.Remove(two, h, w, 5, SmallRegionMode.Islands);
        Assert.Equal(new[] { 2, 3 }, Enumerable.Range(0, h * w).Where(i => kept[i]));
    }
}
