using VisualWords.Evaluation;
using VisualWords.Imaging;
using VisualWords.Superpixels;
using static TorchSharp.torch;

namespace VisualWords.Tests.Evaluation;

public class MetricsTests
{
    static Tensor Mask(params string[] rows) =>
        tensor(string.Concat(rows).Select(c => c == '1').ToArray(), new long[] { rows.Length, rows[0].Length });

    [Fact]
    public void CIoU_gIoU_and_precision_on_hand_made_cases()
    {
        var m = new SegmentationMetrics();
        using (var p = Mask("110", "100"))
        using (var t = Mask("100", "110"))
            m.Add(p, t);                  // I = 2, U = 4: IoU 0.5
        using (var e = Mask("000", "000"))
            m.Add(e, e);                  // empty on empty: IoU 1, adds nothing to cIoU
        m.Add(3, 3);                      // IoU 1
        m.Add(0, 5);                      // IoU 0
        Assert.Equal(4, m.Count);
        Assert.Equal(5.0 / 12, m.CIoU, 12);
        Assert.Equal((0.5 + 1 + 1 + 0) / 4, m.GIoU, 12);
        Assert.Equal(0.75, m.PrecisionAt(0.5));   // 0.5 counts at threshold 0.5
        Assert.Equal(0.5, m.PrecisionAt(0.6));
        Assert.Equal(0.5, m.PrecisionAt(0.9));
        Assert.Equal(new[] { 0.5, 1, 1, 0 }, m.Ious);
        Assert.True(double.IsNaN(new SegmentationMetrics().GIoU));
    }

    [Fact]
    public void Overlap_and_iou()
    {
        using var p = Mask("1100", "0110");
        using var t = Mask("1000", "0111");
        Assert.Equal((3L, 5L), SegmentationMetrics.Overlap(p, t));
        Assert.Equal(1.0, SegmentationMetrics.Iou(0, 0));
        using var other = Mask("11", "11");
        Assert.Throws<InvalidOperationException>(() => SegmentationMetrics.Overlap(p, other));
    }

    [Fact]
    public void Percentiles_interpolate_like_numpy()
    {
        Assert.Equal(3.85, Percentiles.Of([1.0, 2, 3, 4], 0.95), 12);
        Assert.Equal(2.5, Percentiles.Of([4.0, 1, 3, 2], 0.5), 12);
        Assert.Equal(7.0, Percentiles.Of([7.0], 0.95));
    }

    [Fact]
    public void Baselines_predict_the_expected_masks()
    {
        var image = new RgbImage(5, 5, new byte[75]);
        using (var whole = new WholeImageBaseline().Predict(image, "anything"))
        {
            Assert.Equal(25, whole.Mask.sum().item<long>());
            Assert.Null(whole.VisualTokens);
        }
        // 5x5 in a 2x2 grid: rows and columns 0-2 are cell 0 (9 px), the largest.
        var grid = new GridSuperpixelizer(2);
        using (var largest = new LargestSuperpixelBaseline(grid).Predict(image, "anything"))
            Assert.Equal(ImageTensors.MaskToArray(Mask("11100", "11100", "11100", "00000", "00000")), ImageTensors.MaskToArray(largest.Mask));

        var sizes = new List<long>();
        var again = new List<long>();
        var a = new RandomSuperpixelBaseline(grid, seed: 4);
        var b = new RandomSuperpixelBaseline(grid, seed: 4);
        for (int i = 0; i < 40; i++)
        {
            using var pa = a.Predict(image, "x");
            using var pb = b.Predict(image, "x");
            sizes.Add(pa.Mask.sum().item<long>());
            again.Add(pb.Mask.sum().item<long>());
        }
        Assert.Equal(sizes, again);                              // seeded
        Assert.Equal(new long[] { 4, 6, 9 }, sizes.Distinct().Order()); // cells of 9, 6, 6 and 4 pixels all drawn
    }
}
