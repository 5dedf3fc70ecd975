using VisualWords.Evaluation;
using VisualWords.Superpixels;

namespace VisualWords.Tests.Evaluation;

/// <summary>Superpixel metrics on label maps small enough to score by hand (the working is in the comments).</summary>
public class SuperpixelMetricsTests
{
    static int[] Map(params string[] rows) => string.Concat(rows).Select(c => c - '0').ToArray();

    static bool[] Mask(params string[] rows) => string.Concat(rows).Select(c => c == '1').ToArray();

    // Ground truth: object A = the left two columns (8 px), background the rest.
    static readonly int[] Gt = Map("1100", "1100", "1100", "1100");
    // Superpixels: s0 = top-left 2×2 (inside A), s1 = top-right 2×2 (background), s2 = bottom half (4 px of each).
    static readonly int[] Sp = Map("0011", "0011", "2222", "2222");

    [Fact]
    public void AchievableSegmentationAccuracy_counts_the_best_segment_of_each_superpixel()
    {
        // s0 → A: 4, s1 → background: 4, s2 → either: 4; 12 of 16 pixels.
        Assert.Equal(0.75, SuperpixelMetrics.AchievableSegmentationAccuracy(Sp, Gt), 12);
        Assert.Equal(1.0, SuperpixelMetrics.AchievableSegmentationAccuracy(Gt, Gt), 12);
        // One superpixel for everything: it takes the larger segment (8 of 16).
        Assert.Equal(0.5, SuperpixelMetrics.AchievableSegmentationAccuracy(new int[16], Gt), 12);
    }

    [Fact]
    public void UndersegmentationError_charges_the_smaller_side_of_each_leak()
    {
        // s0 and s1 lie inside one segment (min(4, 0) = 0); s2 straddles: min(4, 4) for A + min(4, 4) for background = 8.
        Assert.Equal(0.5, SuperpixelMetrics.UndersegmentationError(Sp, Gt), 12);
        Assert.Equal(0.0, SuperpixelMetrics.UndersegmentationError(Gt, Gt), 12);
        // Label values are ids only: renaming them changes nothing.
        var renamed = Sp.Select(l => l * 7 + 42).ToArray();
        Assert.Equal(0.5, SuperpixelMetrics.UndersegmentationError(renamed, Gt), 12);
        Assert.Equal(0.75, SuperpixelMetrics.AchievableSegmentationAccuracy(renamed, Gt), 12);
    }

    [Fact]
    public void Boundaries_mark_both_sides_of_a_label_change()
    {
        var b = SuperpixelMetrics.Boundaries(Sp, 4, 4);
        // Rows 1 and 2 (the horizontal cut) and columns 1–2 of row 0 (the vertical cut above it).
        Assert.Equal(Mask("0110", "1111", "1111", "0000"), b);
    }

    [Fact]
    public void BoundaryRecall_counts_ground_truth_boundary_pixels_near_a_superpixel_boundary()
    {
        // GT boundary: columns 1 and 2, 8 pixels. With no tolerance, rows 0–2 of them are superpixel
        // boundaries too (6 of 8); with 1 px, row 3 is within reach of row 2.
        Assert.Equal(0.75, SuperpixelMetrics.BoundaryRecall(Sp, Gt, 4, 4, tolerance: 0), 12);
        Assert.Equal(1.0, SuperpixelMetrics.BoundaryRecall(Sp, Gt, 4, 4, tolerance: 1), 12);

        // One row: GT boundary at x = 4, 5; superpixel boundary at x = 1, 2. Distances 2 and 3.
        var gt = Map("0000011111");
        var sp = Map("0011111111");
        Assert.Equal(0.0, SuperpixelMetrics.BoundaryRecall(sp, gt, 1, 10, tolerance: 1), 12);
        Assert.Equal(0.5, SuperpixelMetrics.BoundaryRecall(sp, gt, 1, 10, tolerance: 2), 12);
        Assert.Equal(1.0, SuperpixelMetrics.BoundaryRecall(sp, gt, 1, 10, tolerance: 3), 12);
        // The same along a column (the dilation is separable, so both axes are checked).
        Assert.Equal(0.5, SuperpixelMetrics.BoundaryRecall(sp, gt, 10, 1, tolerance: 2), 12);
        // No ground-truth boundary: nothing to recall.
        Assert.True(double.IsNaN(SuperpixelMetrics.BoundaryRecall(sp, new int[10], 1, 10)));
    }

    [Fact]
    public void BestRegionIou_is_the_best_single_superpixel()
    {
        var a = Mask("1100", "1100", "1100", "1100");
        var corner = Mask("0001", "0000", "0000", "0000");
        var empty = new bool[16];
        // A: s0 gives 4 / (4 + 8 − 4) = 0.5, s2 gives 4 / (8 + 8 − 4) = 1/3. Corner (in s1): 1 / 4.
        Assert.Equal(new[] { 0.5, 0.25, 0.0 }, SuperpixelMetrics.BestRegionIou(Sp, [a, corner, empty]));
    }

    [Fact]
    public void GroundTruthLabels_give_overlaps_to_the_first_mask()
    {
        var first = Mask("1100");
        var second = Mask("0110");
        Assert.Equal(new[] { 1, 1, 2, 0 }, SuperpixelMetrics.GroundTruthLabels([first, second], 4));
    }

    [Fact]
    public void Summary_pools_objects_and_averages_images()
    {
        // 20 × 20 = 400 px: objects under 4 px are small.
        var labels = new int[400];
        for (int p = 200; p < 400; p++) labels[p] = 1;                       // top half / bottom half
        var partition = SuperpixelPartition.FromLabels(labels, 20, 20, _ => (RegionSource.GridCell, -1));
        var bottom = Enumerable.Range(0, 400).Select(p => p >= 200).ToArray(); // = region 1: IoU 1
        var speck = Enumerable.Range(0, 400).Select(p => p == 0).ToArray();   // 1 px in region 0: IoU 1/200
        var image = SuperpixelEvaluation.ScoreImage(partition, [bottom, speck]);
        Assert.Equal(new[] { false, true }, image.Small);
        Assert.Equal(1.0, image.BestIou[0], 12);
        Assert.Equal(1.0 / 200, image.BestIou[1], 12);
        // The speck sits in region 0 with 199 background pixels: ASA (199 + 200) / 400; UE charges
        // region 0 min(199, 1) for the background and min(1, 199) for the speck: 2 / 400.
        Assert.Equal(399.0 / 400, image.Asa, 12);
        Assert.Equal(2.0 / 400, image.UndersegmentationError, 12);

        var noObjects = SuperpixelEvaluation.ScoreImage(partition, []);
        Assert.True(double.IsNaN(noObjects.BoundaryRecall));
        var s = SuperpixelEvaluation.Summarise("test", [image, noObjects], totalMilliseconds: 30);
        Assert.Equal(2, s.Images);
        Assert.Equal((1.0 + 0) / 2, s.ObjectRecall, 12);
        Assert.Equal((1, 0.0), (s.SmallObjects, s.SmallObjectRecall));
        Assert.Equal((1, 1.0), (s.LargeObjects, s.LargeObjectRecall));
        Assert.Equal(image.BoundaryRecall, s.BoundaryRecall, 12);       // the NaN image is left out
        Assert.Equal((image.Asa + 1.0) / 2, s.Asa, 12);                 // no objects: one segment, ASA 1
        Assert.Equal(2.0, s.RegionsPerImage, 12);
        Assert.Equal(15.0, s.MillisecondsPerImage, 12);
    }
}
