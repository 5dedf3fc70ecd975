using VisualWords.Checkpoints;
using VisualWords.Sam;
using VisualWords.Sam.Amg;
using Xunit;
using static TorchSharp.torch;

namespace VisualWords.Tests.Sam.Amg;

/// <summary>Fast everything mode: its prompt schedule, coverage map, and masks equal to exact mode's for the same prompt.</summary>
public class FastModeTests
{
    static string Fixture(string area, string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", area, name);

    [Fact]
    public void CoarseToFineLevelsPartitionTheGrid()
    {
        var levels = CoarseToFine.Levels(32, 4);
        // Every 4th point from index 1 (8 × 8), then the even lattice (16 × 16, disjoint from the first), then the rest.
        Assert.Equal(new[] { 64, 256, 1024 - 64 - 256 }, levels.Select(l => l.Length));
        Assert.Equal(1 * 32 + 1, levels[0][0]);
        Assert.Equal(29 * 32 + 29, levels[0][^1]);
        Assert.Equal(Enumerable.Range(0, 1024), levels.SelectMany(l => l).Order());
        Assert.All(levels, l => Assert.Equal(l.Order(), l));
        // 5 × 5 with stride 2: the centred lattice is 0, 2, 4 (3 × 3), the rest follows.
        var five = CoarseToFine.Levels(5, 2);
        Assert.Equal(new[] { 0, 2, 4, 10, 12, 14, 20, 22, 24 }, five[0]);
        Assert.Equal(16, five[1].Length);
        Assert.Single(CoarseToFine.Levels(32, 1));
        Assert.Equal(new[] { 0 }, Assert.Single(CoarseToFine.Levels(1, 4)));
        Assert.Throws<BadInputException>(() => CoarseToFine.Levels(8, 0));
    }

    [Fact]
    public void FarthestFirstSpreadsThePicks()
    {
        // A 3 x 3 grid: a corner first, then the opposite corner, then the other two corners (ties: lower index).
        var grid = Enumerable.Range(0, 9).SelectMany(i => new double[] { i % 3, i / 3 }).ToArray();
        Assert.Equal(new[] { 0, 8, 2, 6 }, CoarseToFine.FarthestFirst(grid, [], 4));
        // Points already prompted push the picks away from them: with the centre prompted, the four corners
        // (all at the same distance from it) go before any edge midpoint.
        Assert.Equal(new[] { 0, 2, 6, 8 }, CoarseToFine.FarthestFirst(grid, [1.0, 1.0], 4));
        // With corner 0 prompted, the opposite corner is first.
        Assert.Equal(8, CoarseToFine.FarthestFirst(grid, [0.0, 0.0], 1)[0]);
        Assert.Equal(9, CoarseToFine.FarthestFirst(grid, [], 20).Distinct().Count());
        Assert.Empty(CoarseToFine.FarthestFirst(grid, [], 0));
    }

    [Fact]
    public void FastModeDecodesAtMostItsPromptCap()
    {
        using var model = SamModel.FromCheckpoint(SamModelConfig.VitTiny, Fixture("amg", "amg_vit_tiny.pth"));
        using var embeddings = Checkpoint.Load(Fixture("amg", "amg_grid_embeddings.safetensors"));
        // A threshold no prediction passes: nothing is kept, nothing is covered, every level is prompted in full.
        var config = new AutomaticMaskGeneratorConfig { PointsPerSide = 8, PredIouThresh = 0.999, Mode = AmgMode.Fast };
        var uncapped = new SamAutomaticMaskGenerator(model, config with { FastMaxPrompts = 0 });
        uncapped.Generate(240, 360, _ => embeddings["crop0"].clone());
        Assert.Equal(64, uncapped.LastTimings.Prompts);
        var capped = new SamAutomaticMaskGenerator(model, config with { FastMaxPrompts = 20 });
        capped.Generate(240, 360, _ => embeddings["crop0"].clone());
        Assert.Equal(20, capped.LastTimings.Prompts);
        Assert.Equal(256, new AutomaticMaskGeneratorConfig().FastMaxPrompts);
        Assert.Throws<BadInputException>(() => (config with { FastMaxPrompts = -1 }).Validate());
    }

    [Fact]
    public void CoverageMapMarksMaskPixels()
    {
        var map = new CoverageMap(2, 3);
        Assert.False(map.Covered(0.5, 0.5));
        map.Add([false, true, false, false, false, true]);
        Assert.True(map.Covered(1.9, 0.0));        // pixel (1, 0)
        Assert.False(map.Covered(2.0, 0.0));       // pixel (2, 0)
        Assert.True(map.Covered(2.5, 1.5));        // pixel (2, 1)
        Assert.False(map.Covered(-0.5, 0.5));      // outside the frame
        Assert.False(map.Covered(3.0, 1.0));
        Assert.Equal(2.0 / 6, map.Fraction, 12);
        // With a margin every pixel of the window must be covered: (2, 1)'s window reaches (1, 0)–(2, 1).
        Assert.False(map.Covered(2.5, 1.5, margin: 1));
        map.Add([false, true, true, false, true, true]);
        Assert.True(map.Covered(2.5, 1.5, margin: 1));
        Assert.False(map.Covered(1.5, 1.5, margin: 1));   // (0, 0) and (0, 1) are not covered
        Assert.Throws<ArgumentException>(() => map.Add([true]));
    }

    [Theory]
    [InlineData(AmgMode.Exact)]
    [InlineData(AmgMode.Fast)]
    public void NoSurvivorsGiveNoRecords(AmgMode mode)
    {
        using var model = SamModel.FromCheckpoint(SamModelConfig.VitTiny, Fixture("amg", "amg_vit_tiny.pth"));
        using var embeddings = Checkpoint.Load(Fixture("amg", "amg_grid_embeddings.safetensors"));
        var everything = new AutomaticMaskGeneratorConfig { PointsPerSide = 4, PredIouThresh = 0, StabilityScoreThresh = 0, BoxNmsThresh = 1 };
        var all = new SamAutomaticMaskGenerator(model, everything).Generate(240, 360, _ => embeddings["crop0"].clone());
        Assert.Equal(48, all.Count);
        // The filter keeps IoU above the threshold: prompt the points whose highest prediction is at most 1 (the
        // head is unbounded, a threshold is not) with that highest value as threshold; nothing passes, and
        // no prompt's masks are decoded.
        var points = all.GroupBy(r => (r.PointCoords[0], r.PointCoords[1])).Where(g => g.Max(r => r.PredictedIou) <= 1).ToList();
        Assert.NotEmpty(points);
        using var grid = tensor(points.SelectMany(g => new[] { g.Key.Item1 / 360, g.Key.Item2 / 240 }).ToArray(), [points.Count, 2]);
        var config = new AutomaticMaskGeneratorConfig { PointsPerSide = null, PointGrids = [grid], PredIouThresh = points.Max(g => g.Max(r => r.PredictedIou)), Mode = mode };
        var gen = new SamAutomaticMaskGenerator(model, config);
        Assert.Empty(gen.Generate(240, 360, _ => embeddings["crop0"].clone()));
        Assert.Equal(points.Count, gen.LastTimings.Prompts);
        Assert.Equal(0, gen.LastTimings.Upscale);
    }

    [Theory]
    [InlineData(AmgMode.Exact)]
    [InlineData(AmgMode.Fast)]
    public void GenerateLeavesNoTensorAlive(AmgMode mode)
    {
        using var model = SamModel.FromCheckpoint(SamModelConfig.VitTiny, Fixture("amg", "amg_vit_tiny.pth"));
        using var embeddings = Checkpoint.Load(Fixture("amg", "amg_grid_embeddings.safetensors"));
        var gen = new SamAutomaticMaskGenerator(model, new AutomaticMaskGeneratorConfig
        {
            PointsPerSide = 8, PointsPerBatch = 20, PredIouThresh = 0, StabilityScoreThresh = 0.65, StabilityScoreOffset = 0.01, Mode = mode,
        }) { PromptChunk = 7 };
        gen.Generate(240, 360, _ => embeddings["crop0"].clone());   // first call: lazily built state
        long before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var records = gen.Generate(240, 360, _ => embeddings["crop0"].clone());
        Assert.NotEmpty(records);
        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void FastModeMasksAreExactModeMasksOfTheSamePrompts()
    {
        using var model = SamModel.FromCheckpoint(SamModelConfig.VitTiny, Fixture("amg", "amg_vit_tiny.pth"));
        using var embeddings = Checkpoint.Load(Fixture("amg", "amg_grid_embeddings.safetensors"));
        var config = new AutomaticMaskGeneratorConfig
        {
            PointsPerSide = 16, PointsPerBatch = 50, PredIouThresh = 0, StabilityScoreThresh = 0.65, StabilityScoreOffset = 0.01,
        };
        var fastGen = new SamAutomaticMaskGenerator(model, config with { Mode = AmgMode.Fast });
        var fast = fastGen.Generate(240, 360, _ => embeddings["crop0"].clone());
        // Every mask of every prompt, unfiltered (no IoU, stability or NMS cut).
        var allGen = new SamAutomaticMaskGenerator(model, config with { StabilityScoreThresh = 0, BoxNmsThresh = 1 });
        var all = allGen.Generate(240, 360, _ => embeddings["crop0"].clone());
        Assert.Equal(16 * 16 * 3, all.Count);
        Assert.NotEmpty(fast);
        Assert.True(fastGen.LastTimings.Prompts < 256, $"fast mode decoded {fastGen.LastTimings.Prompts} of 256 prompts");
        var byPrompt = all.ToDictionary(r => (r.PointCoords[0], r.PointCoords[1], r.MultimaskIndex));
        foreach (var r in fast)
        {
            var twin = byPrompt[(r.PointCoords[0], r.PointCoords[1], r.MultimaskIndex)];
            Assert.Equal(twin.Segmentation.Counts, r.Segmentation.Counts);
            Assert.Equal(twin.Bbox, r.Bbox);
            // Same prompt, other batch mates: the decoder's matmuls may block differently (one float step apart here).
            Assert.Equal(twin.PredictedIou, r.PredictedIou, 1e-5);
            Assert.Equal(twin.Level, r.Level);
        }
        // Within-crop NMS held: no two fast records overlap above the threshold (box IoU of XYWH → XYXY).
        for (int i = 0; i < fast.Count; i++)
            for (int j = i + 1; j < fast.Count; j++)
                Assert.True(BoxIou(fast[i].Bbox, fast[j].Bbox) <= config.BoxNmsThresh + 0.05, $"records {i} and {j} overlap");
    }

    static double BoxIou(long[] a, long[] b)
    {
        double ix = Math.Max(0, Math.Min(a[0] + a[2], b[0] + b[2]) - Math.Max(a[0], b[0]));
        double iy = Math.Max(0, Math.Min(a[1] + a[3], b[1] + b[3]) - Math.Max(a[1], b[1]));
        double inter = ix * iy, union = (double)a[2] * a[3] + (double)b[2] * b[3] - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
