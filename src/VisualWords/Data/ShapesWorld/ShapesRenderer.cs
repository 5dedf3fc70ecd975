using SkiaSharp;

namespace VisualWords.Data;

/// <summary>
/// Draws ShapesWorld scenes with SkiaSharp: the image antialiased, and each object's silhouette
/// without antialiasing (a pixel belongs to an object when Skia's fill covers its centre). The
/// visible-part masks come from the silhouettes, top object winning.
/// </summary>
public static class ShapesRenderer
{
    /// <summary>Inner radius of the 5-pointed star and of the ring, as a fraction of the outer radius.</summary>
    const double StarInner = 0.45, RingInner = 0.55;

    public static SKPath Outline(ShapeObject o)
    {
        double r = o.Diameter / 2;
        var path = new SKPath();
        switch (o.Shape)
        {
            case "circle": path.AddCircle(0, 0, (float)r); break;
            case "ring":
                path.FillType = SKPathFillType.EvenOdd;
                path.AddCircle(0, 0, (float)r);
                path.AddCircle(0, 0, (float)(r * RingInner));
                break;
            case "square": AddPolygon(path, 4, r, r, 45); break;
            case "triangle": AddPolygon(path, 3, r, r, -90); break;
            case "hexagon": AddPolygon(path, 6, r, r, 0); break;
            case "star": AddPolygon(path, 5, r, r * StarInner, -90); break;
            default: throw new BadInputException($"unknown shape '{o.Shape}'");
        }
        var m = SKMatrix.CreateRotationDegrees((float)o.Rotation).PostConcat(SKMatrix.CreateTranslation((float)o.CenterX, (float)o.CenterY));
        path.Transform(m);
        return path;
    }

    /// <summary>A regular polygon with <paramref name="points"/> corners; a star when the inner radius differs.</summary>
    static void AddPolygon(SKPath path, int points, double outer, double inner, double startDegrees)
    {
        bool star = inner != outer;
        int n = star ? points * 2 : points;
        for (int k = 0; k < n; k++)
        {
            double a = (startDegrees + 360.0 * k / n) * Math.PI / 180;
            double rad = star && k % 2 == 1 ? inner : outer;
            var p = new SKPoint((float)(rad * Math.Cos(a)), (float)(rad * Math.Sin(a)));
            if (k == 0) path.MoveTo(p); else path.LineTo(p);
        }
        path.Close();
    }

    /// <summary>The object's full (amodal) silhouette, row-major size x size, 1 = covered.</summary>
    public static byte[] Silhouette(ShapeObject o, int size)
    {
        using var bmp = new SKBitmap(new SKImageInfo(size, size, SKColorType.Alpha8, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bmp))
        using (var paint = new SKPaint { IsAntialias = false, Color = SKColors.White, Style = SKPaintStyle.Fill })
        using (var path = Outline(o))
        {
            canvas.Clear(SKColors.Transparent);
            canvas.DrawPath(path, paint);
        }
        var span = bmp.GetPixelSpan();
        var result = new byte[size * size];
        for (int i = 0; i < result.Length; i++) result[i] = span[i] != 0 ? (byte)1 : (byte)0;
        return result;
    }

    /// <summary>Per pixel, the index of the top object covering it, or -1 for background.</summary>
    public static int[] VisibleLabels(int size, IReadOnlyList<byte[]> silhouettes)
    {
        var labels = new int[size * size];
        Array.Fill(labels, -1);
        for (int i = 0; i < silhouettes.Count; i++)
        {
            var s = silhouettes[i];
            for (int p = 0; p < labels.Length; p++) if (s[p] != 0) labels[p] = i;
        }
        return labels;
    }

    /// <summary>The scene as an opaque RGBA bitmap (caller disposes).</summary>
    public static SKBitmap Render(ShapesScene scene)
    {
        int size = scene.Size;
        var bmp = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(bmp);
        DrawBackground(canvas, scene);
        using var paint = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
        foreach (var o in scene.Objects)
        {
            paint.Color = new SKColor(o.R, o.G, o.B);
            using var path = Outline(o);
            canvas.DrawPath(path, paint);
        }
        canvas.Flush();
        return bmp;
    }

    public static byte[] EncodePng(ShapesScene scene)
    {
        using var bmp = Render(scene);
        using var data = bmp.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>HWC RGB8 pixels of the rendered scene.</summary>
    public static byte[] RenderRgb(ShapesScene scene)
    {
        using var bmp = Render(scene);
        var span = bmp.GetPixelSpan();
        var rgb = new byte[scene.Size * scene.Size * 3];
        for (int p = 0, q = 0; p < span.Length; p += 4, q += 3) { rgb[q] = span[p]; rgb[q + 1] = span[p + 1]; rgb[q + 2] = span[p + 2]; }
        return rgb;
    }

    static void DrawBackground(SKCanvas canvas, ShapesScene scene)
    {
        var bg = scene.Background;
        int size = scene.Size;
        var a = new SKColor(bg.A.R, bg.A.G, bg.A.B);
        switch (bg.Kind)
        {
            case "flat":
                canvas.Clear(a);
                break;
            case "gradient":
            {
                double rad = bg.Angle * Math.PI / 180, c = size / 2.0, h = size / 2.0;
                var p0 = new SKPoint((float)(c - h * Math.Cos(rad)), (float)(c - h * Math.Sin(rad)));
                var p1 = new SKPoint((float)(c + h * Math.Cos(rad)), (float)(c + h * Math.Sin(rad)));
                using var shader = SKShader.CreateLinearGradient(p0, p1, [a, new SKColor(bg.B.R, bg.B.G, bg.B.B)], SKShaderTileMode.Clamp);
                using var paint = new SKPaint { Shader = shader };
                canvas.DrawRect(0, 0, size, size, paint);
                break;
            }
            case "noise":
            {
                // Low-contrast value noise: a coarse random grid around colour A, smoothly upsampled.
                const int Cells = 8, Amplitude = 14;
                var rng = new DeterministicRandom(bg.NoiseSeed);
                using var small = new SKBitmap(new SKImageInfo(Cells, Cells, SKColorType.Rgba8888, SKAlphaType.Opaque));
                for (int y = 0; y < Cells; y++)
                    for (int x = 0; x < Cells; x++)
                    {
                        int d = rng.NextInclusive(-Amplitude, Amplitude);
                        small.SetPixel(x, y, new SKColor(Clamp(bg.A.R + d), Clamp(bg.A.G + d), Clamp(bg.A.B + d)));
                    }
                using var image = SKImage.FromBitmap(small);
                // Bilinear without mipmaps: what SkiaSharp 2's FilterQuality.Low drew.
                canvas.DrawImage(image, new SKRect(0, 0, size, size), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None));
                break;
            }
            default: throw new BadInputException($"unknown background kind '{bg.Kind}'");
        }
    }

    static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);
}
