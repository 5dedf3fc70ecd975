using System.Globalization;
using SkiaSharp;
using VisualWords.Evaluation;
using VisualWords.Imaging;

namespace VisualWords.Superpixels;

/// <summary>
/// The visual words (superpixels) a model saw, drawn for a person: each region tinted in its
/// <see cref="Overlay.Palette"/> colour with white borders, and a legend beside the image (word id →
/// colour; each word's id is also written on it). The chosen words — those a mask was grounded on —
/// keep their colour under a thick black-and-white contour with their id in large type, and head the
/// legend with their scores; the other words are faded. Small images are scaled up (nearest) to at least
/// <see cref="MinLongSide"/> px on the long side so that the ids can be read.
/// </summary>
public static class WordsOverlay
{
    /// <summary>Images smaller than this on their long side are scaled up by a whole factor.</summary>
    public const int MinLongSide = 512;
    const float FontSize = 13, IdSize = 18, RowHeight = 18, ColumnWidth = 160, Pad = 10, Swatch = 12;
    const float Tint = 0.5f, Fade = 0.6f;
    const int Contour = 4;   // px: three black, then one white inside
    const long MinLabelledArea = 400;   // output px a word needs for its id to be written on it

    /// <summary>How many output pixels wide one image pixel becomes.</summary>
    public static int Scale(int width, int height) => Math.Max(1, (int)Math.Ceiling((double)MinLongSide / Math.Max(width, height)));

    /// <param name="chosen">Word (region id) → score of the chosen words; none: nothing outlined, nothing faded.</param>
    public static RgbImage Draw(RgbImage img, SuperpixelPartition partition, IReadOnlyDictionary<int, double>? chosen = null)
    {
        if (partition.Width != img.Width || partition.Height != img.Height)
            throw new ArgumentException($"partition {partition.Width}x{partition.Height} does not match image {img.Width}x{img.Height}");
        chosen = (chosen ?? new Dictionary<int, double>()).Where(c => c.Key >= 0 && c.Key < partition.Regions.Count).ToDictionary();
        int s = Scale(img.Width, img.Height), w = img.Width * s, h = img.Height * s;
        var palette = Overlay.Palette(partition.Regions.Count);
        var legend = LegendRows(partition, chosen);
        int perColumn = Math.Max(8, (int)((h - 2 * Pad) / RowHeight));
        int columns = (legend.Count + perColumn - 1) / perColumn;
        int width = w + (int)(columns * ColumnWidth + Pad), height = Math.Max(h, (int)(2 * Pad + Math.Min(perColumn, legend.Count) * RowHeight));

        using var bmp = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bmp))
        {
            canvas.Clear(SKColors.White);
            using var words = Words(img, partition, palette, chosen, s);
            canvas.DrawBitmap(words, 0, 0);
            using var face = SansFont.Typeface(SKFontStyle.Normal);
            using var boldFace = SansFont.Typeface(SKFontStyle.Bold);
            using var font = new SKFont(face, FontSize);
            using var bold = new SKFont(boldFace, FontSize);
            using var idFont = new SKFont(boldFace, IdSize);
            Ids(canvas, partition, chosen, s, idFont, font);
            for (int i = 0; i < legend.Count; i++)
            {
                float x = w + Pad + i / perColumn * ColumnWidth, y = Pad + i % perColumn * RowHeight;
                Row(canvas, legend[i], palette, chosen.Count > 0, x, y, legend[i].Chosen ? bold : font);
            }
        }
        var rgba = bmp.GetPixelSpan();
        var rgb = new byte[width * height * 3];
        for (int p = 0, q = 0; q < rgb.Length; p += 4, q += 3) { rgb[q] = rgba[p]; rgb[q + 1] = rgba[p + 1]; rgb[q + 2] = rgba[p + 2]; }
        return new RgbImage(width, height, rgb);
    }

    /// <summary>A legend line: a title (<see cref="Word"/> −1) or a word with its swatch.</summary>
    sealed record LegendRow(string Text, int Word, bool Chosen);

    /// <summary>The title, the chosen words by score (best first), then every other word by id.</summary>
    static List<LegendRow> LegendRows(SuperpixelPartition partition, IReadOnlyDictionary<int, double> chosen)
    {
        var rows = new List<LegendRow> { new($"{partition.Regions.Count} visual words", -1, false) };
        if (chosen.Count > 0)
        {
            rows.Add(new("chosen (score):", -1, true));
            rows.AddRange(chosen.OrderByDescending(c => c.Value).ThenBy(c => c.Key)
                .Select(c => new LegendRow($"word {c.Key}  {c.Value.ToString("0.00", CultureInfo.InvariantCulture)}", c.Key, true)));
            rows.Add(new("others:", -1, false));
        }
        rows.AddRange(partition.Regions.Where(r => !chosen.ContainsKey(r.Id)).Select(r => new LegendRow($"word {r.Id}", r.Id, false)));
        return rows;
    }

    /// <summary>The tinted, scaled image with white word borders, faded words and the chosen words' contours.</summary>
    static SKBitmap Words(RgbImage img, SuperpixelPartition partition, IReadOnlyList<(byte R, byte G, byte B)> palette,
        IReadOnlyDictionary<int, double> chosen, int s)
    {
        int w = img.Width * s, h = img.Height * s;
        int Label(int x, int y) => partition.Labels[y / s * img.Width + x / s];
        var bmp = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var px = bmp.GetPixelSpan();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int l = Label(x, y), i = (y / s * img.Width + x / s) * 3, o = (y * w + x) * 4;
                bool faded = chosen.Count > 0 && !chosen.ContainsKey(l);
                bool border = (x > 0 && Label(x - 1, y) != l) || (x < w - 1 && Label(x + 1, y) != l)
                    || (y > 0 && Label(x, y - 1) != l) || (y < h - 1 && Label(x, y + 1) != l);
                var c = palette[l];
                for (int k = 0; k < 3; k++)
                {
                    float v = border ? 255 : img.Pixels[i + k] * (1 - Tint) + (k == 0 ? c.R : k == 1 ? c.G : c.B) * Tint;
                    if (faded) v = v * (1 - Fade) + 255 * Fade;
                    px[o + k] = (byte)MathF.Round(v);
                }
                px[o + 3] = 255;
                if (chosen.ContainsKey(l) && DistanceOut(x, y, l, w, h, Label) is int d and <= Contour)
                    px[o] = px[o + 1] = px[o + 2] = d < Contour ? (byte)0 : (byte)255;
            }
        return bmp;
    }

    /// <summary>Chebyshev distance (1..Contour+1) from (x, y) to the nearest pixel outside word <paramref name="l"/> or the image.</summary>
    static int DistanceOut(int x, int y, int l, int w, int h, Func<int, int, int> label)
    {
        for (int r = 1; r <= Contour; r++)
            for (int dy = -r; dy <= r; dy++)
                for (int dx = -r; dx <= r; dx++)
                {
                    if (Math.Max(Math.Abs(dx), Math.Abs(dy)) != r) continue;
                    int xx = x + dx, yy = y + dy;
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h || label(xx, yy) != l) return r;
                }
        return Contour + 1;
    }

    /// <summary>
    /// Each word's id at its most interior pixel: chosen words large, white on a black outline; the
    /// others small, dark on a white outline, where the word is big enough to hold it.
    /// </summary>
    static void Ids(SKCanvas canvas, SuperpixelPartition partition, IReadOnlyDictionary<int, double> chosen, int s, SKFont idFont, SKFont font)
    {
        using var dark = new SKPaint { Color = new SKColor(40, 40, 40), IsAntialias = true };
        using var light = new SKPaint { Color = SKColors.White, IsAntialias = true };
        using var darkOutline = new SKPaint { Color = SKColors.Black, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 4 };
        using var lightOutline = new SKPaint { Color = SKColors.White, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 3 };
        foreach (var region in partition.Regions)
        {
            bool isChosen = chosen.ContainsKey(region.Id);
            if (!isChosen && region.Area * s * s < MinLabelledArea) continue;
            var mask = partition.Labels.Select(l => l == region.Id).ToArray();
            var (x, y) = MaskInteriorPoint.Find(mask, partition.Height, partition.Width);
            var f = isChosen ? idFont : font;
            float cx = x * s + s / 2f, cy = y * s + s / 2f + f.Size / 2 - 3;
            var text = region.Id.ToString(CultureInfo.InvariantCulture);
            canvas.DrawText(text, cx, cy, SKTextAlign.Center, f, isChosen ? darkOutline : lightOutline);
            canvas.DrawText(text, cx, cy, SKTextAlign.Center, f, isChosen ? light : dark);
        }
    }

    static void Row(SKCanvas canvas, LegendRow row, IReadOnlyList<(byte R, byte G, byte B)> palette, bool anyChosen, float x, float y, SKFont font)
    {
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        float baseline = y + RowHeight - 5;
        if (row.Word < 0)
        {
            canvas.DrawText(row.Text, x, baseline, SKTextAlign.Left, font, text);
            return;
        }
        var c = palette[row.Word];
        var colour = new SKColor(c.R, c.G, c.B);
        if (anyChosen && !row.Chosen)
            colour = new SKColor(Faded(c.R), Faded(c.G), Faded(c.B));
        var box = new SKRect(x, y + (RowHeight - Swatch) / 2, x + Swatch, y + (RowHeight + Swatch) / 2);
        using var swatch = new SKPaint { Color = colour, Style = SKPaintStyle.Fill };
        canvas.DrawRect(box, swatch);
        using var edge = new SKPaint { Color = SKColors.Black, Style = SKPaintStyle.Stroke, StrokeWidth = row.Chosen ? 2 : 1 };
        canvas.DrawRect(box, edge);
        canvas.DrawText(row.Text, x + Swatch + 6, baseline, SKTextAlign.Left, font, text);
    }

    static byte Faded(byte v) => (byte)MathF.Round(v * (1 - Fade) + 255 * Fade);
}
