using VisualWords.Imaging;
using VisualWords.Superpixels;
using Xunit;

namespace VisualWords.Tests.Superpixels;

public class BaselineSuperpixelizerTests
{
    static RgbImage TwoColours(int w, int h, int splitX)
    {
        var px = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = (y * w + x) * 3;
                (px[i], px[i + 1], px[i + 2]) = x < splitX ? ((byte)200, (byte)30, (byte)30) : ((byte)20, (byte)40, (byte)220);
            }
        return new RgbImage(w, h, px);
    }

    [Fact]
    public void GridCellsAreThePatchPoolingCells()
    {
        var p = new GridSuperpixelizer(4).Partition(TwoColours(10, 9, 5));
        SemanticPartitionerTests.AssertIsPartition(p);
        Assert.Equal(16, p.Regions.Count);
        Assert.All(p.Regions, r => Assert.Equal(r.W * r.H, r.Area));
        Assert.Equal(new[] { 3, 2, 3, 2 }, p.Regions.Take(4).Select(r => r.W));
        Assert.Equal(new[] { 3, 2, 2, 2 }, p.Regions.Where((_, i) => i % 4 == 0).Select(r => r.H));
        Assert.Equal(4, new GridSuperpixelizer(16).Partition(TwoColours(2, 2, 1)).Regions.Count);
        Assert.Throws<BadInputException>(() => new GridSuperpixelizer(0));
    }

    [Fact]
    public void SlicRegionsAreConnectedAndFollowColourEdges()
    {
        var img = TwoColours(48, 32, 21);
        var slic = new SlicSuperpixelizer(new SlicConfig { Segments = 24 });
        var p = slic.Partition(img);
        SemanticPartitionerTests.AssertIsPartition(p);
        Assert.InRange(p.Regions.Count, 12, 40);
        foreach (var r in p.Regions) Assert.Equal(1, SemanticPartitionerTests.Pieces(p, r.Id));
        // No region straddles the colour edge at x = 21 (colour distance dwarfs the spatial term).
        for (int y = 0; y < 32; y++) Assert.NotEqual(p.Labels[y * 48 + 20], p.Labels[y * 48 + 21]);
        Assert.Equal(p.Labels, slic.Partition(img).Labels);
    }

    [Fact]
    public void LabConversionMatchesKnownValues()
    {
        using var rgb = TorchSharp.torch.tensor(new float[] { 1, 1, 1, 1, 0, 0, 0, 0, 0 }, [3, 3]);
        using var lab = SlicSuperpixelizer.RgbToLab(rgb);
        var v = lab.data<float>().ToArray();
        Assert.Equal(100f, v[0], 1); Assert.Equal(0f, v[1], 1); Assert.Equal(0f, v[2], 1);
        Assert.Equal(53.24f, v[3], 1); Assert.Equal(80.09f, v[4], 0); Assert.Equal(67.20f, v[5], 0);
        Assert.Equal(0f, v[6], 3);
    }
}
