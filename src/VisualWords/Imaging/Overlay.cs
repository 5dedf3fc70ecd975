using static TorchSharp.torch;

namespace VisualWords.Imaging;

/// <summary>Visualisations: a tinted mask with its contour, and label maps in palette colours.</summary>
public static class Overlay
{
    /// <summary>
    /// Tints the mask area with <paramref name="color"/> and draws its 1-px inner contour in black or
    /// white, whichever contrasts more with the pixel under it, so the outline stays visible whatever
    /// the object's colour (a blue object under a blue tint included).
    /// </summary>
    public static RgbImage MaskOverlay(RgbImage img, Tensor mask, (byte R, byte G, byte B) color, float alpha = 0.5f)
    {
        CheckSize(img, mask);
        using var scope = NewDisposeScope();
        var m = mask.to(ScalarType.Bool).cpu();
        var colorT = tensor(new float[] { color.R, color.G, color.B }).view(1, 1, 3);
        var blended = Tint(img, m, colorT, alpha);
        var edge = Boundary(m.to(ScalarType.Int64)).logical_and(m);
        var luma = (blended * tensor(new float[] { 0.299f, 0.587f, 0.114f }).view(1, 1, 3)).sum(-1, keepdim: true);
        var contrast = where(luma < 128f, full_like(blended, 255f), zeros_like(blended));
        var outImg = where(edge.unsqueeze(-1), contrast, blended);
        return ImageTensors.FromHWC(outImg);
    }

    /// <summary>
    /// Marks prompt points: a disc in green (foreground) or red (background) with a black-and-white
    /// ring, radius about 1/60 of the shorter side (at least 3 px), so it shows on any background.
    /// </summary>
    public static RgbImage PromptPoints(RgbImage img, IEnumerable<(double X, double Y, bool Foreground)> points)
    {
        var px = (byte[])img.Pixels.Clone();
        int r = Math.Max(3, Math.Min(img.Width, img.Height) / 60);
        foreach (var (x, y, fg) in points)
        {
            var fill = fg ? ((byte)40, (byte)220, (byte)60) : ((byte)230, (byte)30, (byte)30);
            int cx = (int)Math.Round(x), cy = (int)Math.Round(y);
            for (int yy = cy - r - 2; yy <= cy + r + 2; yy++)
                for (int xx = cx - r - 2; xx <= cx + r + 2; xx++)
                {
                    if (xx < 0 || yy < 0 || xx >= img.Width || yy >= img.Height) continue;
                    double d = Math.Sqrt((xx - cx) * (xx - cx) + (yy - cy) * (yy - cy));
                    (byte, byte, byte)? c = d <= r ? fill : d <= r + 1 ? (255, 255, 255) : d <= r + 2 ? (0, 0, 0) : null;
                    if (c is not { } rgb) continue;
                    int i = (yy * img.Width + xx) * 3;
                    (px[i], px[i + 1], px[i + 2]) = rgb;
                }
        }
        return new RgbImage(img.Width, img.Height, px);
    }

    /// <summary>Colours each label (int64 [H, W], 0..R-1) with <see cref="Palette"/> and draws region boundaries in white.</summary>
    public static RgbImage LabelOverlay(RgbImage img, Tensor labels, float alpha = 0.5f)
    {
        CheckSize(img, labels);
        using var scope = NewDisposeScope();
        var l = labels.to(ScalarType.Int64).cpu();
        int n = (int)l.max().item<long>() + 1;
        var pal = tensor(Palette(n).SelectMany(c => new float[] { c.R, c.G, c.B }).ToArray()).view(n, 3);
        var colors = pal.index_select(0, l.flatten()).view(img.Height, img.Width, 3);
        var baseImg = ImageTensors.ToTensorHWC(img).to(ScalarType.Float32);
        var blended = baseImg * (1 - alpha) + colors * alpha;
        var edge = Boundary(l).unsqueeze(-1);
        var outImg = where(edge, full_like(blended, 255f), blended);
        return ImageTensors.FromHWC(outImg);
    }

    /// <summary>Distinct, deterministic colours (golden-angle hues, alternating lightness).</summary>
    public static IReadOnlyList<(byte R, byte G, byte B)> Palette(int count)
    {
        var list = new List<(byte, byte, byte)>(count);
        for (int i = 0; i < count; i++)
        {
            double h = (i * 137.50776) % 360, s = 0.65, v = i % 2 == 0 ? 0.95 : 0.75;
            list.Add(Hsv(h, s, v));
        }
        return list;
    }

    static (byte, byte, byte) Hsv(double h, double s, double v)
    {
        double c = v * s, x = c * (1 - Math.Abs(h / 60 % 2 - 1)), m = v - c;
        var (r, g, b) = (int)(h / 60) switch
        {
            0 => (c, x, 0.0), 1 => (x, c, 0.0), 2 => (0.0, c, x),
            3 => (0.0, x, c), 4 => (x, 0.0, c), _ => (c, 0.0, x),
        };
        return ((byte)Math.Round((r + m) * 255), (byte)Math.Round((g + m) * 255), (byte)Math.Round((b + m) * 255));
    }

    static Tensor Tint(RgbImage img, Tensor m, Tensor colorT, float alpha)
    {
        var baseImg = ImageTensors.ToTensorHWC(img).to(ScalarType.Float32);
        return where(m.unsqueeze(-1), baseImg * (1 - alpha) + colorT * alpha, baseImg);
    }

    /// <summary>True where a pixel's 4-neighbour has a different label (bool [H, W]).</summary>
    static Tensor Boundary(Tensor labels)
    {
        var edge = zeros(labels.shape, ScalarType.Bool);
        var dy = labels[1..].ne(labels[..^1]);
        var dx = labels[.., 1..].ne(labels[.., ..^1]);
        edge[1..] = edge[1..].logical_or(dy);
        edge[..^1] = edge[..^1].logical_or(dy);
        edge[.., 1..] = edge[.., 1..].logical_or(dx);
        edge[.., ..^1] = edge[.., ..^1].logical_or(dx);
        return edge;
    }

    static void CheckSize(RgbImage img, Tensor map)
    {
        if (map.dim() != 2 || map.shape[0] != img.Height || map.shape[1] != img.Width)
            throw new ArgumentException($"map [{string.Join(", ", map.shape)}] does not match image {img.Width}x{img.Height}");
    }
}
