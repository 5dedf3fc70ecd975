using TorchSharp;
using static TorchSharp.torch;

namespace VisualWords.Projectors;

/// <summary>
/// The geometric descriptor SSPE embeds, one row per region: normalized box (x0, y0, x1, y1),
/// centroid (cx, cy), log of the area fraction, and the region mask resampled to S x S inside its
/// box (fraction of each cell covered). All in image-relative units, so any resolution works.
/// </summary>
public static class SuperpixelGeometry
{
    public static int Width(int shapeGrid, bool colour = false) => 7 + shapeGrid * shapeGrid + (colour ? 3 : 0);

    /// <summary>
    /// Mean colour of each region: labels int64 H x W (0..R-1), image uint8 or float H x W x 3 in
    /// 0..255 at the same size → R x 3 float32 in 0..1.
    /// </summary>
    public static Tensor MeanColours(Tensor labels, Tensor imageHwc, int regions)
    {
        using var scope = NewDisposeScope();
        var flat = labels.flatten();
        var rgb = imageHwc.reshape(-1, 3).to(float32) / 255f;
        var sums = zeros(regions, 3, device: labels.device).index_add(0, flat, rgb, 1);
        var counts = zeros(regions, device: labels.device).index_add(0, flat, ones(flat.shape[0], device: labels.device), 1);
        return scope.MoveToOuter(sums / counts.clamp_min(1).unsqueeze(1));
    }

    /// <summary>labels: checked int64 H x W with labels 0..R-1 (and -1) → R x (7 + S²) float32.</summary>
    public static Tensor Describe(Tensor labels, int regions, int shapeGrid)
    {
        using var scope = NewDisposeScope();
        var (h, w) = (labels.shape[0], labels.shape[1]);
        var dev = labels.device;
        // Occupancy per (region, row) and (region, column) via bincount: no per-pixel loops.
        var ys = arange(h, dtype: int64, device: dev).unsqueeze(1).expand(h, w);
        var xs = arange(w, dtype: int64, device: dev).unsqueeze(0).expand(h, w);
        var rows = SuperpixelPooling.CountPerRegion(labels, ys, h, regions).to(float32);
        var cols = SuperpixelPooling.CountPerRegion(labels, xs, w, regions).to(float32);
        var area = rows.sum(1);
        var (y0, y1) = Extent(rows);
        var (x0, x1) = Extent(cols);
        var cy = rows.matmul(arange(h, dtype: float32, device: dev) + 0.5f) / area / h;
        var cx = cols.matmul(arange(w, dtype: float32, device: dev) + 0.5f) / area / w;
        var box = stack([x0.to(float32) / w, y0.to(float32) / h, (x1 + 1).to(float32) / w, (y1 + 1).to(float32) / h], 1);
        var logArea = (area / (h * w)).log().unsqueeze(1);
        var shape = Thumbnails(labels, x0, y0, x1, y1, shapeGrid);
        return scope.MoveToOuter(cat([box, cx.unsqueeze(1), cy.unsqueeze(1), logArea, shape], 1));
    }

    /// <summary>First and last occupied index of each row of an R x L occupancy table.</summary>
    static (Tensor First, Tensor Last) Extent(Tensor occupancy)
    {
        var occupied = occupancy.gt(0).to(int64);
        var first = occupied.argmax(1);
        var last = occupancy.shape[1] - 1 - occupied.flip(1).argmax(1);
        return (first, last);
    }

    /// <summary>R x S² coverage thumbnails; one crop per region (a few dozen regions, not pixels).</summary>
    static Tensor Thumbnails(Tensor labels, Tensor x0, Tensor y0, Tensor x1, Tensor y1, int s)
    {
        var boxes = stack([x0, y0, x1, y1], 1).cpu();
        var b = boxes.data<long>().Select(v => (int)v).ToArray();
        var rows = new Tensor[boxes.shape[0]];
        for (var r = 0; r < rows.Length; r++)
        {
            var crop = labels[b[4 * r + 1]..(b[4 * r + 3] + 1), b[4 * r]..(b[4 * r + 2] + 1)];
            var mask = crop.eq(r).to(float32).unsqueeze(0).unsqueeze(0);
            rows[r] = nn.functional.adaptive_avg_pool2d(mask, [s, s]).flatten();
        }
        return stack(rows, 0);
    }
}
