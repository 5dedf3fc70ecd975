using SkiaSharp;

namespace VisualWords.Training;

/// <summary>
/// Draws the training loss (raw and smoothed) against the step as a PNG, with axis labels, a legend
/// and, when given, the validation scores as points on a second axis (right, 0–1 for IoU-like scores).
/// </summary>
public static class LossCurve
{
    static readonly SKColor Raw = new(120, 160, 230), Smoothed = new(20, 60, 160), Validation = new(220, 90, 20);

    /// <param name="validation">Validation scores by step (higher is better), drawn as points; none: no right axis.</param>
    /// <param name="validationName">What the scores are, for the legend and the right axis ("val gIoU").</param>
    public static void Save(IReadOnlyList<StepMetrics> history, string path, int width = 800, int height = 400,
        IReadOnlyList<(long Step, double Score)>? validation = null, string validationName = "validation")
    {
        if (history.Count == 0) return;
        bool hasVal = validation is { Count: > 0 };
        const float left = 70, top = 30, bottom = 50;
        float right = hasVal ? 70 : 20;
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var c = surface.Canvas;
        c.Clear(SKColors.White);
        double minStep = history[0].Step, maxStep = Math.Max(history[^1].Step, minStep + 1);
        if (hasVal) maxStep = Math.Max(maxStep, validation!.Max(v => v.Step));
        var losses = history.Select(h => h.Loss).Where(double.IsFinite).DefaultIfEmpty(0).ToArray();
        double lo = Math.Min(0, losses.Min()), hi = losses.Max() * 1.05 + 1e-9;
        double vHi = hasVal ? Math.Max(1, validation!.Max(v => v.Score)) : 1;
        float X(double s) => (float)(left + (s - minStep) / (maxStep - minStep) * (width - left - right));
        float Y(double v) => (float)(top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom));
        float YVal(double v) => (float)(top + (1 - v / vHi) * (height - top - bottom));

        using var axis = new SKPaint { Color = SKColors.Black, StrokeWidth = 1, IsAntialias = true };
        using var font = new SKFont(SKTypeface.Default, 12);
        c.DrawLine(left, top, left, height - bottom, axis);
        c.DrawLine(left, height - bottom, width - right, height - bottom, axis);
        if (hasVal) c.DrawLine(width - right, top, width - right, height - bottom, axis);
        for (int i = 0; i <= 4; i++)
        {
            double v = lo + (hi - lo) * i / 4;
            Text(c, v.ToString("G3", System.Globalization.CultureInfo.InvariantCulture), left - 6, Y(v) + 4, SKTextAlign.Right, font, axis);
            double s = minStep + (maxStep - minStep) * i / 4;
            Text(c, ((long)s).ToString(System.Globalization.CultureInfo.InvariantCulture), X(s), height - bottom + 16, SKTextAlign.Center, font, axis);
            if (hasVal)
                Text(c, (vHi * i / 4).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture), width - right + 6, YVal(vHi * i / 4) + 4, SKTextAlign.Left, font, axis);
        }
        Text(c, "step", (left + width - right) / 2, height - 12, SKTextAlign.Center, font, axis);
        Vertical(c, "loss", 16, (top + height - bottom) / 2, font, axis);
        if (hasVal) Vertical(c, validationName, width - 12, (top + height - bottom) / 2, font, axis);

        Draw(c, history.Where(h => double.IsFinite(h.Loss)).Select(h => (X(h.Step), Y(h.Loss))), Raw);
        double ema = losses[0];
        Draw(c, history.Where(h => double.IsFinite(h.Loss)).Select(h => { ema = 0.9 * ema + 0.1 * h.Loss; return (X(h.Step), Y(ema)); }), Smoothed, 2);
        if (hasVal)
        {
            using var dot = new SKPaint { Color = Validation, IsAntialias = true, Style = SKPaintStyle.Fill };
            foreach (var (step, score) in validation!.Where(v => double.IsFinite(v.Score))) c.DrawCircle(X(step), YVal(score), 4, dot);
        }
        Legend(c, font, left + 10, top - 18,
            [("loss", Raw, false), ("loss, smoothed (EMA 0.9)", Smoothed, false), .. hasVal ? new[] { (validationName, Validation, true) } : []]);

        using var img = surface.Snapshot();
        using var data = img.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(path, data.SaveTo);
    }

    static void Legend(SKCanvas c, SKFont font, float x, float y, IEnumerable<(string Name, SKColor Color, bool Dot)> entries)
    {
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        foreach (var (name, color, dot) in entries)
        {
            using var mark = new SKPaint { Color = color, StrokeWidth = 2, IsAntialias = true, Style = dot ? SKPaintStyle.Fill : SKPaintStyle.Stroke };
            if (dot) c.DrawCircle(x + 10, y - 4, 4, mark);
            else c.DrawLine(x, y - 4, x + 20, y - 4, mark);
            Text(c, name, x + 26, y, SKTextAlign.Left, font, text);
            x += 26 + Width(name, font) + 24;
        }
    }

    /// <summary>Text aligned by measuring it (the alignment overloads of DrawText are SkiaSharp 3's).</summary>
    static void Text(SKCanvas c, string text, float x, float y, SKTextAlign align, SKFont font, SKPaint paint)
    {
        float w = Width(text, font);
        c.DrawText(text, align switch { SKTextAlign.Center => x - w / 2, SKTextAlign.Right => x - w, _ => x }, y, font, paint);
    }

    static float Width(string text, SKFont font) => font.MeasureText(text);

    static void Vertical(SKCanvas c, string label, float x, float y, SKFont font, SKPaint paint)
    {
        c.Save();
        c.RotateDegrees(-90, x, y);
        Text(c, label, x, y, SKTextAlign.Center, font, paint);
        c.Restore();
    }

    static void Draw(SKCanvas c, IEnumerable<(float X, float Y)> pts, SKColor color, float width = 1)
    {
        using var paint = new SKPaint { Color = color, StrokeWidth = width, IsAntialias = true, Style = SKPaintStyle.Stroke };
        using var path = new SKPath();
        bool first = true;
        foreach (var (x, y) in pts)
        {
            if (first) path.MoveTo(x, y); else path.LineTo(x, y);
            first = false;
        }
        c.DrawPath(path, paint);
    }
}
