using System.Globalization;
using ScottPlot;
using VisualWords.Imaging;

namespace VisualWords.Evaluation;

/// <summary>
/// Charts drawn with ScottPlot the one way the project writes them (training curves, benchmark
/// reports): labelled axes, tick labels the same in every locale, a second y axis on the right when
/// a series has other units, a sans-serif font, and the PNG written atomically.
/// </summary>
public static class Plots
{
    /// <summary>An empty plot with labelled axes and invariant tick labels (caller disposes).</summary>
    public static Plot Create(string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set(SansFont.Family ?? Fonts.Sans);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Axes.Bottom.TickGenerator = Ticks();
        plot.Axes.Left.TickGenerator = Ticks();
        return plot;
    }

    /// <summary>Moves <paramref name="series"/> to the right y axis, labelled and spanning <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static void OnRightAxis(Plot plot, IPlottable series, string label, double min, double max)
    {
        series.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Right.Label.Text = label;
        plot.Axes.Right.TickGenerator = Ticks();
        plot.Axes.SetLimitsY(min, max, plot.Axes.Right);
    }

    /// <summary>Renders <paramref name="plot"/> at <paramref name="width"/>×<paramref name="height"/> and writes the PNG atomically.</summary>
    public static void SavePng(Plot plot, string path, int width, int height)
    {
        var png = plot.GetImageBytes(width, height, ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(png));
    }

    static ScottPlot.TickGenerators.NumericAutomatic Ticks() =>
        new() { LabelFormatter = v => v.ToString("G4", CultureInfo.InvariantCulture) };
}
