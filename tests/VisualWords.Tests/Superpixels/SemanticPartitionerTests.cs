using VisualWords.Data;
using VisualWords.Imaging;
using VisualWords.Sam.Amg;
using VisualWords.Superpixels;
using Xunit;

namespace VisualWords.Tests.Superpixels;

public class SemanticPartitionerTests
{
    const int H = 10, W = 10;

    static LeveledMask Rect(int x0, int y0, int x1, int y1, int level, int index, int h = H, int w = W)
    {
        var m = new bool[h * w];
        for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) m[y * w + x] = true;
        return new LeveledMask(RleEncoding.Encode(m, h, w), level, 0.9, index);
    }

    static string Map(SuperpixelPartition p) =>
        string.Join("/", Enumerable.Range(0, p.Height).Select(y => string.Concat(Enumerable.Range(0, p.Width).Select(x => p.Labels[y * p.Width + x]))));

    /// <summary>A 10 x 10 image: grey, with a red block at x 0..4 and a blue one at x 5..7 (touching), and ±3 noise everywhere.</summary>
    static RgbImage TwoBlocks()
    {
        var px = new byte[H * W * 3];
        var rng = new Random(1);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                (int r, int g, int b) = x < 5 ? (220, 40, 40) : x < 8 ? (40, 80, 220) : (128, 128, 128);
                int p = 3 * (y * W + x);
                px[p] = (byte)(r + rng.Next(-3, 4)); px[p + 1] = (byte)(g + rng.Next(-3, 4)); px[p + 2] = (byte)(b + rng.Next(-3, 4));
            }
        return new RgbImage(W, H, px);
    }

    [Fact]
    public void ColourSplitSeparatesTouchingThingsOfOneWordAndKeepsTheirSource()
    {
        // One mask covers both blocks (SAM merged them); the grey strip is uncovered.
        var masks = new[] { Rect(0, 0, 8, 10, level: 0, index: 3) };
        var plain = SemanticPartitioner.Build(masks, H, W, new SemanticSuperpixelConfig { MinRegionArea = 0 }, TwoBlocks());
        Assert.Equal(string.Join("/", Enumerable.Repeat("0000000011", H)), Map(plain));
        var split = SemanticPartitioner.Build(masks, H, W, new SemanticSuperpixelConfig { MinRegionArea = 0, ColourSplitTolerance = 30 }, TwoBlocks());
        Assert.Equal(string.Join("/", Enumerable.Repeat("0000011122", H)), Map(split));
        Assert.Equal(new[] { RegionSource.Whole, RegionSource.Whole, RegionSource.Uncovered }, split.Regions.Select(r => r.Source));
        Assert.Equal(new[] { 3, 3, -1 }, split.Regions.Select(r => r.MaskIndex));
        // Noise within the tolerance never splits; a tolerance below the noise shatters the blocks into fragments,
        // which the minimum area then merges back.
        Assert.Equal(3, SemanticPartitioner.Build(masks, H, W, new SemanticSuperpixelConfig { MinRegionArea = 0, ColourSplitTolerance = 6 }, TwoBlocks()).Regions.Count);
        Assert.True(SemanticPartitioner.Build(masks, H, W, new SemanticSuperpixelConfig { MinRegionArea = 0, ColourSplitTolerance = 1 }, TwoBlocks()).Regions.Count > 3);
        Assert.All(SemanticPartitioner.Build(masks, H, W, new SemanticSuperpixelConfig { MinRegionArea = 20, ColourSplitTolerance = 1 }, TwoBlocks()).Regions,
            r => Assert.True(r.Area >= 20, $"region {r.Id} has {r.Area} px"));
        Assert.Throws<ArgumentException>(() => SemanticPartitioner.Build(masks, H, W, new SemanticSuperpixelConfig { ColourSplitTolerance = 30 }));
        Assert.Throws<BadInputException>(() => new SemanticSuperpixelConfig { ColourSplitTolerance = 256 }.Validate());
    }

    [Fact]
    public void FinerMaskIsCarvedOutOfCoarserAndUncoveredPixelsFormRegions()
    {
        var masks = new[] { Rect(4, 0, 8, 10, level: 1, index: 0), Rect(0, 0, 5, 10, level: 0, index: 1) };
        var p = SemanticPartitioner.Build(masks, H, W, new SemanticSuperpixelConfig { MinRegionArea = 0 });
        Assert.Equal(string.Join("/", Enumerable.Repeat("0000111122", H)), Map(p));
        Assert.Equal(new[] { RegionSource.Whole, RegionSource.Part, RegionSource.Uncovered }, p.Regions.Select(r => r.Source));
        Assert.Equal(new[] { 1, 0, -1 }, p.Regions.Select(r => r.MaskIndex));
        Assert.Equal(new long[] { 40, 40, 20 }, p.Regions.Select(r => r.Area));
        var part = p.Regions[1];
        Assert.Equal((4, 0, 4, 10), (part.X, part.Y, part.W, part.H));
        Assert.Equal(5.5, part.CentroidX, 9);
        Assert.Equal(4.5, part.CentroidY, 9);

        var coarse = SemanticPartitioner.Build(masks, H, W, new SemanticSuperpixelConfig { MinRegionArea = 0, OverlapWinner = OverlapWinner.Coarser });
        Assert.Equal(string.Join("/", Enumerable.Repeat("0000011122", H)), Map(coarse));
    }

    [Fact]
    public void MostlyCoveredFinerMasksAreDropped()
    {
        // The part lies 50% inside the whole (>= 30%), the sub-part 0% inside anything kept.
        var masks = new[] { Rect(0, 0, 6, 10, 0, 0), Rect(3, 0, 9, 10, 1, 1), Rect(9, 0, 10, 10, 2, 2) };
        var p = SemanticPartitioner.Build(masks, H, W, new SemanticSuperpixelConfig { MinRegionArea = 0 });
        Assert.Equal(string.Join("/", Enumerable.Repeat("0000001112", H)), Map(p));
        Assert.Equal(new[] { RegionSource.Whole, RegionSource.Uncovered, RegionSource.SubPart }, p.Regions.Select(r => r.Source));
        var loose = SemanticPartitioner.Build(masks, H, W, new SemanticSuperpixelConfig { MinRegionArea = 0, MaxCoveredFraction = 0.6 });
        Assert.Equal(string.Join("/", Enumerable.Repeat("0001111112", H)), Map(loose));
    }

    [Fact]
    public void SmallRegionsMergeIntoTheNeighbourWithTheLongestBorder()
    {
        // Two whole masks (rows 0-3 and rows 4-9) minus an uncovered 2x3 notch at x 0-1, rows 4-6.
        var top = Rect(0, 0, 10, 4, 0, 0);                 // rows 0..3
        var bottom = Rect(0, 4, 10, 10, 0, 1);             // rows 4..9, 60 px
        var notch = new bool[H * W];
        foreach (var (x, y) in new[] { (0, 4), (1, 4), (0, 5), (1, 5), (0, 6), (1, 6) }) notch[y * W + x] = true;
        var bottomPixels = RleEncoding.Decode(bottom.Mask);
        for (int i = 0; i < notch.Length; i++) if (notch[i]) bottomPixels[i] = false;
        var masks = new[] { top, bottom with { Mask = RleEncoding.Encode(bottomPixels, H, W) } };
        var keepSmall = SemanticPartitioner.Build(masks, H, W, new SemanticSuperpixelConfig { MinRegionArea = 0 });
        Assert.Equal(3, keepSmall.Regions.Count);
        var merged = SemanticPartitioner.Build(masks, H, W, new SemanticSuperpixelConfig { MinRegionArea = 7 });
        // The notch shares 2 pixel edges with the top region and 2 + 3 = 5 with the bottom one.
        Assert.Equal(2, merged.Regions.Count);
        Assert.Equal(new long[] { 40, 60 }, merged.Regions.Select(r => r.Area));
        Assert.Equal(merged.Labels[4 * W + 5], merged.Labels[4 * W + 0]);
    }

    [Fact]
    public void CapHoldsAndSmallestMergeFirst()
    {
        var masks = new[] { Rect(0, 0, 5, 5, 0, 0), Rect(5, 0, 10, 5, 0, 1), Rect(0, 5, 5, 10, 0, 2), Rect(5, 5, 10, 10, 0, 3) };
        for (int cap = 1; cap <= 4; cap++)
        {
            var p = SemanticPartitioner.Build(masks, H, W, new SemanticSuperpixelConfig { MinRegionArea = 0, MaxRegions = cap });
            Assert.Equal(cap, p.Regions.Count);
            AssertIsPartition(p);
        }
        Assert.Throws<BadInputException>(() => SemanticPartitioner.Build(masks, H, W, new SemanticSuperpixelConfig { MaxRegions = 0 }));
    }

    [Fact]
    public void RandomMaskSetsGiveDeterministicPartitionsWithConnectedUncoveredRegions()
    {
        var rng = new Random(7);
        int h = 40, w = 50;
        for (int trial = 0; trial < 10; trial++)
        {
            var masks = new List<LeveledMask>();
            for (int i = 0; i < 12; i++)
            {
                int x0 = rng.Next(w - 2), y0 = rng.Next(h - 2);
                masks.Add(Rect(x0, y0, rng.Next(x0 + 1, w + 1), rng.Next(y0 + 1, h + 1), rng.Next(3), i, h, w));
            }
            var cfg = new SemanticSuperpixelConfig { MinRegionArea = 12, MaxRegions = 9 };
            var a = SemanticPartitioner.Build(masks, h, w, cfg);
            var shuffled = masks.OrderBy(_ => rng.Next()).ToList();
            var b = SemanticPartitioner.Build(shuffled, h, w, cfg);
            Assert.Equal(a.Labels, b.Labels);
            Assert.Equal(a.Regions, b.Regions);
            AssertIsPartition(a);
            Assert.True(a.Regions.Count <= 9);
            Assert.All(a.Regions, r => Assert.True(r.Area >= 12 || a.Regions.Count == 1));
            var noMerge = SemanticPartitioner.Build(masks, h, w, cfg with { MinRegionArea = 0, MaxRegions = null });
            AssertIsPartition(noMerge);
            foreach (var r in noMerge.Regions.Where(r => r.Source == RegionSource.Uncovered))
                Assert.Equal(1, Pieces(noMerge, r.Id));
        }
    }

    [Fact]
    public void LevelsFollowAreaRankOrOutputIndex()
    {
        long[] areas = [50, 500, 200];
        Assert.Equal(new[] { 2, 0, 1 }, Enumerable.Range(0, 3).Select(i => MultimaskLevel.FromAreas(i, areas)));
        Assert.Equal(new[] { 2, 1, 0 }, Enumerable.Range(0, 3).Select(i => MultimaskLevel.FromAreas(i, new long[] { 7, 7, 7 })));
        var rec = new SamMaskRecord(new Rle(1, 1, [1]), 0, [0, 0, 0, 0], 0.9, [0, 0], 1, [0, 0, 1, 1], MultimaskIndex: 0, Level: 1);
        Assert.Equal(1, SemanticPartitioner.Level(rec, LevelAssignment.AreaRankPerPoint));
        Assert.Equal(2, SemanticPartitioner.Level(rec, LevelAssignment.OutputIndex));
    }

    [Fact]
    public void MaskOfTheWrongSizeIsBadInput()
    {
        var ex = Assert.Throws<BadInputException>(() => SemanticPartitioner.Build([Rect(0, 0, 2, 2, 0, 0, 5, 5)], H, W));
        Assert.Contains("5x5", ex.Message);
    }

    internal static void AssertIsPartition(SuperpixelPartition p)
    {
        Assert.Equal(p.Height * p.Width, p.Labels.Length);
        Assert.All(p.Labels, l => Assert.InRange(l, 0, p.Regions.Count - 1));
        Assert.Equal((long)p.Height * p.Width, p.Regions.Sum(r => r.Area));
        var counts = new long[p.Regions.Count];
        var first = Enumerable.Repeat(-1, p.Regions.Count).ToArray();
        for (int i = 0; i < p.Labels.Length; i++)
        {
            int l = p.Labels[i];
            counts[l]++;
            if (first[l] < 0) first[l] = i;
            int x = i % p.Width, y = i / p.Width;
            var r = p.Regions[l];
            Assert.InRange(x, r.X, r.X + r.W - 1);
            Assert.InRange(y, r.Y, r.Y + r.H - 1);
        }
        Assert.Equal(p.Regions.Select(r => r.Area), counts);
        Assert.Equal(first.Order(), first);   // ids follow raster order of first pixels
        Assert.Equal(Enumerable.Range(0, p.Regions.Count), p.Regions.Select(r => r.Id));
    }

    internal static int Pieces(SuperpixelPartition p, int id)
    {
        var inside = p.Labels.Select(l => l == id).ToArray();
        return ConnectedComponents.Label(inside, p.Height, p.Width, 4).Sizes.Length - 1;
    }
}
