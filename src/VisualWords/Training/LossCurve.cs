using ScottPlot;
using VisualWords.Evaluation;

namespace VisualWords.Training;

/// <summary>
/// Draws the training loss (raw and smoothed) against the step as a PNG, with axis labels, a legend
/// and, when given, the validation scores as markers on a second axis (right, 0–1 for IoU-like scores).
/// Non-finite losses (a diverged step) are left out of the lines.
/// </summary>
public static class LossCurve
{
    static readonly Color Raw = new(120, 160, 230), Smoothed = new(20, 60, 160), Validation = new(220, 90, 20);

    /// <param name="validation">Validation scores by step (higher is better), drawn as markers; none: no right axis.</param>
    /// <param name="validationName">What the scores are, for the legend and the right axis ("val gIoU").</param>
    public static void Save(IReadOnlyList<StepMetrics> history, string path, int width = 800, int height = 400,
        IReadOnlyList<(long Step, double Score)>? validation = null, string validationName = "validation")
    {
        if (history.Count == 0) return;
        var finite = history.Where(h => double.IsFinite(h.Loss)).ToList();
        double[] steps = finite.Select(h => (double)h.Step).ToArray(), losses = finite.Select(h => h.Loss).ToArray();
        using var plot = Plots.Create("step", "loss");
        if (losses.Length > 0)
        {
            var raw = plot.Add.ScatterLine(steps, losses, Raw);
            raw.LegendText = "loss";
            var smoothed = plot.Add.ScatterLine(steps, Ema(losses, 0.9), Smoothed);
            smoothed.LegendText = "loss, smoothed (EMA 0.9)";
            smoothed.LineWidth = 2;
        }
        var points = (validation ?? []).Where(v => double.IsFinite(v.Score)).ToList();
        if (points.Count > 0)
        {
            var val = plot.Add.ScatterPoints(points.Select(v => (double)v.Step).ToArray(), points.Select(v => v.Score).ToArray(), Validation);
            val.LegendText = validationName;
            val.MarkerSize = 8;
            Plots.OnRightAxis(plot, val, validationName, 0, Math.Max(1, points.Max(v => v.Score)) * 1.05);
        }
        plot.ShowLegend(Edge.Top);
        Plots.SavePng(plot, path, width, height);
    }

    /// <summary>Exponential moving average, starting at the first value.</summary>
    static double[] Ema(double[] values, double decay)
    {
        var result = new double[values.Length];
        double ema = values[0];
        for (int i = 0; i < values.Length; i++) result[i] = ema = decay * ema + (1 - decay) * values[i];
        return result;
    }
}
