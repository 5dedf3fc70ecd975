using System.Globalization;
using ScottPlot;

namespace VisualWords.Evaluation;

/// <summary>The paper table's two plots, drawn with ScottPlot as PNG bytes.</summary>
public static class PaperBenchmarkPlots
{
    const int Width = 960, Height = 620;
    static readonly Color PatchColour = Colors.SteelBlue, WordsColour = Colors.OrangeRed;

    /// <summary>Rows whose tokens come from superpixels (the semantic projector); the others are patch projectors.</summary>
    static bool OnWords(PaperRowResult r) => r.Projector.StartsWith("semantic", StringComparison.Ordinal);

    /// <summary>
    /// (a) val cIoU against visual tokens per image (log axis), one labelled point per row, and the
    /// Pareto front — the rows no other row beats with as few tokens — as a dashed staircase.
    /// </summary>
    public static byte[] TokensVersusCIoU(IReadOnlyList<PaperRowResult> rows)
    {
        var plt = new Plot();
        var points = rows.Where(r => r.TokensMean is > 0 && r.Splits.GetValueOrDefault("val") is not null)
            .Select(r => (Row: r, X: Math.Log10(r.TokensMean!.Value), Y: 100 * r.Splits["val"]!.CIoU)).ToList();
        bool patchNamed = false, wordsNamed = false;
        foreach (var (row, x, y) in points)
        {
            var dot = plt.Add.Scatter(new[] { x }, new[] { y });
            dot.LineWidth = 0;
            dot.MarkerSize = 10;
            dot.Color = OnWords(row) ? WordsColour : PatchColour;
            if (OnWords(row) && !wordsNamed) { dot.LegendText = "visual words (superpixels)"; wordsNamed = true; }
            if (!OnWords(row) && !patchNamed) { dot.LegendText = "patch projectors"; patchNamed = true; }
            var label = plt.Add.Text(row.Row, x, y);
            label.LabelFontSize = 12;
            label.OffsetX = 7;
            label.OffsetY = -7;
        }
        var front = ParetoFront(points.Select(p => (p.X, p.Y)).ToList());
        if (front.Count > 0)
        {
            var (xs, ys) = Staircase(front);
            var line = plt.Add.Scatter(xs, ys);
            line.MarkerSize = 0;
            line.LinePattern = LinePattern.Dashed;
            line.Color = Colors.Gray;
            line.LegendText = "Pareto front";
        }
        double[] ticks = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            ticks.Select(Math.Log10).ToArray(), ticks.Select(t => t.ToString(CultureInfo.InvariantCulture)).ToArray());
        if (points.Count > 0)
            plt.Axes.SetLimitsX(points.Min(p => p.X) - 0.25, points.Max(p => p.X) + 0.35);
        plt.Title("val cIoU against visual tokens per image");
        plt.XLabel("visual tokens per image (mean, log scale)");
        plt.YLabel("val cIoU (%)");
        plt.ShowLegend(Edge.Bottom);   // outside the data area: no point can hide under it
        return plt.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>(b) Validation gIoU during training against the training clock, for the patch MLP and SVP rows.</summary>
    public static byte[] CurvesVersusTime(IReadOnlyList<PaperRowResult> rows)
    {
        var plt = new Plot();
        foreach (var row in rows.Where(r => PaperRow.CurveRows.Contains(r.Row) && r.Curve.Count > 0))
        {
            var line = plt.Add.Scatter(row.Curve.Select(p => p.Seconds / 60).ToArray(), row.Curve.Select(p => 100 * p.Score).ToArray());
            line.Color = OnWords(row) ? WordsColour : PatchColour;
            line.LinePattern = row.Seed == 1 ? LinePattern.Solid : LinePattern.Dashed;
            line.MarkerSize = 7;
            line.LegendText = $"{row.Row} (seed {row.Seed})";
        }
        plt.Title("validation gIoU during training: patch MLP against SVP");
        plt.XLabel("training time (minutes; validation excluded)");
        plt.YLabel("val gIoU (%, teacher-forced)");
        plt.ShowLegend(Alignment.UpperLeft);   // rising curves leave the top left empty
        return plt.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>The points not beaten by any other with as few tokens (x) and at least the score (y), by increasing x.</summary>
    public static IReadOnlyList<(double X, double Y)> ParetoFront(IReadOnlyList<(double X, double Y)> points)
    {
        var front = new List<(double X, double Y)>();
        foreach (var p in points.OrderBy(p => p.X).ThenByDescending(p => p.Y))
            if (front.Count == 0 || p.Y > front[^1].Y) front.Add(p);
        return front;
    }

    /// <summary>A front as a staircase: flat until the next point's x, then up to its y.</summary>
    static (double[] Xs, double[] Ys) Staircase(IReadOnlyList<(double X, double Y)> front)
    {
        var xs = new List<double> { front[0].X };
        var ys = new List<double> { front[0].Y };
        for (int i = 1; i < front.Count; i++)
        {
            xs.AddRange([front[i].X, front[i].X]);
            ys.AddRange([front[i - 1].Y, front[i].Y]);
        }
        return (xs.ToArray(), ys.ToArray());
    }
}
