using VisualWords.Imaging;
using static TorchSharp.torch;

namespace VisualWords.Superpixels;

/// <summary>SLIC settings (Achanta et al. 2012).</summary>
public sealed record SlicConfig
{
    /// <summary>Target number of superpixels (the seed grid has about this many cells).</summary>
    public int Segments { get; init; } = 256;
    /// <summary>Weight of spatial distance against CIELAB colour distance (the paper's m).</summary>
    public double Compactness { get; init; } = 10;
    /// <summary>Assignment/update rounds (the paper finds 10 enough).</summary>
    public int Iterations { get; init; } = 10;
    /// <summary>Pieces smaller than this fraction of a seed cell (S²) merge into a neighbour afterwards.</summary>
    public double MinSizeFraction { get; init; } = 0.25;
}

/// <summary>
/// Baseline without semantics: SLIC superpixels, our own implementation. Each pixel only compares
/// against the seeds of its own and the 8 surrounding seed cells (the 2S×2S search window of the
/// paper), which lets one assignment round be a single batched gather/argmin over all pixels;
/// centre updates are index_add reductions. Seeds start at cell centres (no gradient perturbation).
/// Afterwards labels are split into connected pieces and small pieces merge by the shared
/// <see cref="RegionMerger"/> rule, so every SLIC region is connected.
/// </summary>
public sealed class SlicSuperpixelizer(SlicConfig? config = null) : ISuperpixelizer
{
    public SlicConfig Config { get; } = config ?? new SlicConfig();

    public string Name => "slic";

    public SuperpixelPartition Partition(RgbImage image, TorchSharp.torch.Tensor? samEmbedding = null)
    {
        var c = Config;
        if (c.Segments < 1 || c.Iterations < 1 || c.Compactness <= 0)
            throw new BadInputException("SLIC needs segments >= 1, iterations >= 1 and compactness > 0");
        int h = image.Height, w = image.Width;
        double s = Math.Sqrt((double)h * w / c.Segments);
        int nY = Math.Clamp((int)Math.Round(h / s), 1, h), nX = Math.Clamp((int)Math.Round(w / s), 1, w);

        int[] labels;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var hwc = ImageTensors.ToTensorHWC(image);
            var lab = RgbToLab(hwc.to(ScalarType.Float32) / 255f).reshape(-1, 3);
            var ys = arange(h, ScalarType.Float32).unsqueeze(1).expand(h, w).reshape(-1, 1);
            var xs = arange(w, ScalarType.Float32).unsqueeze(0).expand(h, w).reshape(-1, 1);
            // Spatial coordinates pre-scaled by m/S so one squared distance weighs colour and space.
            float spatial = (float)(c.Compactness / s);
            var features = cat([lab, ys * spatial, xs * spatial], 1);                 // [HW, 5]

            var cellY = (ys.squeeze(1) * nY / h).floor().to(ScalarType.Int64).clamp(0, nY - 1);
            var cellX = (xs.squeeze(1) * nX / w).floor().to(ScalarType.Int64).clamp(0, nX - 1);
            var offsets = tensor(new long[] { -1, 0, 1 });
            var candY = (cellY.unsqueeze(1) + offsets.repeat_interleave(3).unsqueeze(0)).clamp(0, nY - 1);
            var candX = (cellX.unsqueeze(1) + offsets.repeat(3).unsqueeze(0)).clamp(0, nX - 1);
            var candidates = candY * nX + candX;                                    // [HW, 9]

            // Seeds at cell centres: the pixel nearest each centre gives colour and position.
            var cy = ((arange(nY, ScalarType.Float32) + 0.5f) * h / nY).floor().to(ScalarType.Int64);
            var cx = ((arange(nX, ScalarType.Float32) + 0.5f) * w / nX).floor().to(ScalarType.Int64);
            var seedPixels = (cy.unsqueeze(1) * w + cx.unsqueeze(0)).reshape(-1);
            var centres = features.index_select(0, seedPixels);                     // [K, 5]
            long k = centres.shape[0];

            Tensor assignment = candidates[.., 4];
            for (int it = 0; it < c.Iterations; it++)
            {
                var cand = centres.index_select(0, candidates.reshape(-1)).reshape(-1, 9, 5);
                var d = (cand - features.unsqueeze(1)).square().sum(-1);           // [HW, 9]
                var best = d.argmin(1, keepdim: true);
                assignment = candidates.gather(1, best).squeeze(1);
                var sums = zeros(k, 5).index_add(0, assignment, features, 1);
                var counts = zeros(k).index_add(0, assignment, ones(assignment.shape[0]), 1);
                var nonEmpty = (counts > 0).unsqueeze(1);
                centres = where(nonEmpty, sums / counts.clamp_min(1).unsqueeze(1), centres);
            }
            labels = assignment.to(ScalarType.Int32).contiguous().data<int>().ToArray();
        }

        var (pieces, _) = ConnectedComponents.SplitRegions(labels, h, w, 4);
        RegionMerger.Merge(pieces, h, w, (long)(c.MinSizeFraction * s * s), maxRegions: null);
        return SuperpixelPartition.FromLabels(pieces, h, w, _ => (RegionSource.Slic, -1));
    }

    /// <summary>sRGB in [0,1] [..., 3] → CIELAB (D65 white) [..., 3].</summary>
    public static Tensor RgbToLab(Tensor rgb)
    {
        using var scope = NewDisposeScope();
        var linear = where(rgb > 0.04045f, ((rgb + 0.055f) / 1.055f).pow(2.4f), rgb / 12.92f);
        var m = tensor(new float[]
        {
            0.412453f, 0.357580f, 0.180423f,
            0.212671f, 0.715160f, 0.072169f,
            0.019334f, 0.119193f, 0.950227f,
        }, [3, 3]);
        var xyz = matmul(linear, m.t()) / tensor(new float[] { 0.950456f, 1f, 1.088754f });
        var f = where(xyz > 0.008856f, xyz.pow(1f / 3f), 7.787f * xyz + 16f / 116f);
        var fx = f[TensorIndex.Ellipsis, 0]; var fy = f[TensorIndex.Ellipsis, 1]; var fz = f[TensorIndex.Ellipsis, 2];
        var lab = stack([116f * fy - 16f, 500f * (fx - fy), 200f * (fy - fz)], -1);
        return scope.MoveToOuter(lab);
    }
}
