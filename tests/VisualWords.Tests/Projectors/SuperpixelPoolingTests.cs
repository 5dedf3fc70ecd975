using VisualWords.Projectors;
using static TorchSharp.torch;
using static VisualWords.Tests.Projectors.ProjectorTestData;

namespace VisualWords.Tests.Projectors;

public class SuperpixelPoolingTests
{
    [Fact]
    public void EveryRowSumsToOneAndCountsCoverAllPixels()
    {
        var (labels, regions) = SuperpixelPooling.CheckLabels(FourRegions());
        Assert.Equal(4, regions);
        using var counts = SuperpixelPooling.PixelCounts(labels, regions, 6, 6);
        Assert.Equal(48L * 48, counts.sum().item<long>());
        using var w = SuperpixelPooling.Weights(counts);
        Assert.Equal(new long[] { 4, 36 }, w.shape);
        Assert.True(w.sum(1).allclose(ones(4), atol: 1e-6));
    }

    [Fact]
    public void RegionInsideOnePatchPoolsToThatPatch()
    {
        var (labels, regions) = SuperpixelPooling.CheckLabels(FourRegions());
        using var w = SuperpixelPooling.Weights(SuperpixelPooling.PixelCounts(labels, regions, 6, 6));
        using var f = Features(1, 6, 6, seed: 3)[0];
        // Region 2 is 2 x 3 pixels inside patch row 4, column 1.
        Assert.Equal(1f, w[2, 4 * 6 + 1].item<float>());
        Assert.True(w[2].matmul(f).allclose(f[4 * 6 + 1], atol: 1e-6));
    }

    [Fact]
    public void RegionEqualToOnePatchPoolsToThatPatch()
    {
        var l = zeros(48, 48, dtype: int64);
        l[16..24, 8..16] = 1;  // exactly patch (2, 1)
        var (labels, regions) = SuperpixelPooling.CheckLabels(l);
        using var w = SuperpixelPooling.Weights(SuperpixelPooling.PixelCounts(labels, regions, 6, 6));
        using var f = Features(1, 6, 6, seed: 4)[0];
        Assert.True(w[1].matmul(f).allclose(f[2 * 6 + 1], atol: 1e-6));
        Assert.Equal(1, w[1].gt(0).sum().item<long>());
    }

    [Fact]
    public void WeightsFollowAreaAcrossPatches()
    {
        // Region 1 of the odd-size map: columns 20..35 of 36 over a 3-wide grid (12 px per column).
        var (labels, regions) = SuperpixelPooling.CheckLabels(TwoRegionsOddSize());
        using var counts = SuperpixelPooling.PixelCounts(labels, regions, 3, 3);
        // Grid column 1 holds x = 12..23 (4 pixels of region 1 per row), column 2 holds x = 24..35 (12).
        Assert.Equal(4L * 10, counts[1, 1].item<long>());
        Assert.Equal(12L * 10, counts[1, 2].item<long>());
        Assert.Equal(0L, counts[1, 0].item<long>());
    }

    [Fact]
    public void GapsNegativeLabelsAndFloatMapsAreRejected()
    {
        var gap = zeros(8, 8, dtype: int64);
        gap[..4] = 2;
        Assert.Contains("without gaps", Assert.Throws<BadInputException>(() => SuperpixelPooling.CheckLabels(gap)).Message);
        var negative = full(8, 8, -2L, dtype: int64);
        Assert.Throws<BadInputException>(() => SuperpixelPooling.CheckLabels(negative));
        Assert.Throws<BadInputException>(() => SuperpixelPooling.CheckLabels(zeros(8, 8)));
        Assert.Throws<BadInputException>(() => SuperpixelPooling.CheckLabels(zeros(2, 8, 8, dtype: int64)));
    }

    [Fact]
    public void IgnoredPixelsBelongToNoSuperpixel()
    {
        // FourRegions padded on the right to 48 x 64 with -1: a 6 x 8 grid whose last two columns are padding.
        var padded = full(48, 64, SuperpixelPooling.Ignore, dtype: int64);
        padded[.., ..48] = FourRegions();
        var (labels, regions) = SuperpixelPooling.CheckLabels(padded);
        Assert.Equal(4, regions);
        using var w = SuperpixelPooling.Weights(SuperpixelPooling.PixelCounts(labels, regions, 6, 8));
        Assert.True(w.sum(1).allclose(ones(4), atol: 1e-6));
        Assert.Equal(0f, w.view(4, 6, 8)[.., .., 6..].abs().sum().item<float>());
        // Same weights as the unpadded map on the unpadded 6 x 6 grid.
        var (plain, _) = SuperpixelPooling.CheckLabels(FourRegions());
        using var expected = SuperpixelPooling.Weights(SuperpixelPooling.PixelCounts(plain, 4, 6, 6));
        Assert.True(w.view(4, 6, 8)[.., .., ..6].reshape(4, 36).allclose(expected, atol: 1e-6));
        using var g = SuperpixelGeometry.Describe(labels, regions, 4);
        Assert.Equal(24f / 64, g[1, 0].item<float>());  // region 1's box starts at x = 24 of 64
        Assert.Contains("no superpixels",
            Assert.Throws<BadInputException>(() => SuperpixelPooling.CheckLabels(full(4, 4, -1L, dtype: int64))).Message);
    }

    [Fact]
    public void GeometryDescribesBoxCentroidAreaAndShape()
    {
        var l = zeros(40, 50, dtype: int64);
        l[10..20, 5..25] = 1;  // a 10 x 20 rectangle
        var (labels, regions) = SuperpixelPooling.CheckLabels(l);
        using var g = SuperpixelGeometry.Describe(labels, regions, 4);
        Assert.Equal(new long[] { 2, SuperpixelGeometry.Width(4) }, g.shape);
        var r = g[1].data<float>().ToArray();
        Assert.Equal(new[] { 5f / 50, 10f / 40, 25f / 50, 20f / 40 }, r[..4]);
        Assert.Equal(15f / 50, r[4], 5);  // cx
        Assert.Equal(15f / 40, r[5], 5);  // cy
        Assert.Equal(MathF.Log(200f / 2000f), r[6], 5);
        Assert.All(r[7..], v => Assert.Equal(1f, v));  // the rectangle fills its box
        // The background surrounds the rectangle: its thumbnail has uncovered cells.
        Assert.Contains(g[0, 7..].data<float>().ToArray(), v => v < 1f);
    }

    [Fact]
    public void SinCosTableHasDistinctRows()
    {
        using var t = SinCosPositions.Table(3, 4, 16);
        Assert.Equal(new long[] { 12, 16 }, t.shape);
        using var d = cdist(t.unsqueeze(0), t.unsqueeze(0))[0] + eye(12);
        Assert.True(d.min().item<float>() > 1e-3);
        Assert.Throws<BadInputException>(() => SinCosPositions.Table(3, 4, 18));
    }
}

/// <summary>Against plain per-pixel loops in tools/parity/superpixel_goldens.py (50 x 70 map, 6 x 7 grid).</summary>
public class SuperpixelLayoutParityTests
{
    [Fact]
    public void CountsWeightsAndGeometryMatchThePerPixelReference()
    {
        using var golden = VisualWords.Checkpoints.Checkpoint.Load(Fixtures.Path("projectors", "superpixel_layout.safetensors"));
        var (labels, regions) = SuperpixelPooling.CheckLabels(golden["labels"]);
        Assert.Equal(golden["weights"].shape[0], regions);
        using var counts = SuperpixelPooling.PixelCounts(labels, regions, 6, 7);
        Assert.True(TensorAssert.Same(golden["pixel_counts"], counts));
        using var weights = SuperpixelPooling.Weights(counts);
        Assert.True(TensorAssert.MaxAbsDiff(golden["weights"], weights) < 1e-6);
        using var geometry = SuperpixelGeometry.Describe(labels, regions, 8);
        Assert.True(TensorAssert.MaxAbsDiff(golden["geometry"], geometry) < 1e-5);
    }

    [Fact]
    public void TooManyRegionsIsRejected()
    {
        var l = arange(SuperpixelPooling.MaxRegions + 1, dtype: int64).view(1, -1);
        Assert.Contains("at most", Assert.Throws<BadInputException>(() => SuperpixelPooling.CheckLabels(l)).Message);
    }
}
