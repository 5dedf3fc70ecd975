using SkiaSharp;

namespace VisualWords.Training;

/// <summary>Draws the training loss (raw and smoothed) against the step as a PNG.</summary>
public static class LossCurve
{
    public static void Save(IReadOnlyList<StepMetrics> history, string path, int width = 800, int height = 400)
    {
        if (history.Count == 0) return;
        const float left = 60, right = 20, top = 20, bottom = 40;
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var c = surface.Canvas;
        c.Clear(SKColors.White);
        double minStep = history[0].Step, maxStep = Math.Max(history[^1].Step, minStep + 1);
        var losses = history.Select(h => h.Loss).ToArray();
        double lo = Math.Min(0, losses.Min()), hi = losses.Max() * 1.05 + 1e-9;
        float X(double s) => (float)(left + (s - minStep) / (maxStep - minStep) * (width - left - right));
        float Y(double v) => (float)(top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom));

        using var axis = new SKPaint { Color = SKColors.Black, StrokeWidth = 1, IsAntialias = true };
        using var font = new SKFont(SKTypeface.Default, 12);
        c.DrawLine(left, top, left, height - bottom, axis);
        c.DrawLine(left, height - bottom, width - right, height - bottom, axis);
        for (int i = 0; i <= 4; i++)
        {
            double v = lo + (hi - lo) * i / 4;
            c.DrawText(v.ToString("G3"), 4, Y(v) + 4, font, axis);
            double s = minStep + (maxStep - minStep) * i / 4;
            c.DrawText(((long)s).ToString(), X(s) - 10, height - bottom + 16, font, axis);
        }
        c.DrawText("step", width / 2f, height - 6, font, axis);

        Draw(c, history.Select(h => (X(h.Step), Y(h.Loss))), new SKColor(120, 160, 230));
        double ema = losses[0];
        Draw(c, history.Select(h => { ema = 0.9 * ema + 0.1 * h.Loss; return (X(h.Step), Y(ema)); }), new SKColor(20, 60, 160), 2);

        using var img = surface.Snapshot();
        using var data = img.Encode(SKEncodedImageFormat.Png, 100);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using var f = File.Create(path);
        data.SaveTo(f);
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
