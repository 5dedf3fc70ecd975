using VisualWords.Data;

namespace VisualWords.Training;

/// <summary>
/// The prompts of one training image, in the model's input frame. Point coordinates are K x N x 2
/// (x, y), labels K x N (1 positive, 0 negative), boxes K x 4 (x0, y0, x1, y1); Targets[k] is the
/// index of the object mask prompt k asks for, or -1 for the background.
/// </summary>
public sealed record SamPromptSet(SamPromptKind Kind, int PointsPerPrompt, float[] Coords, long[] Labels, float[] Boxes, int[] Targets)
{
    public int Count => Targets.Length;
    public bool Multimask => Kind == SamPromptKind.Point;
}

/// <summary>
/// Draws SAM-style training prompts from an image's masks with the caller's generator, so a batch
/// is a function of the seed it was given. Masks are row-major h x w in the resized (unpadded) frame.
/// </summary>
public static class SamPromptSampler
{
    public static SamPromptSet Sample(DeterministicRandom rng, IReadOnlyList<bool[]> masks, bool[] background, int h, int w,
        SamPromptOptions o, int inputSize)
    {
        if (masks.Count == 0) throw new ArgumentException("an image needs at least one object mask to prompt", nameof(masks));
        double r = rng.NextDouble();
        var kind = r < o.Point ? SamPromptKind.Point : r < o.Point + o.Box ? SamPromptKind.Box : SamPromptKind.Points;
        int nPos = kind == SamPromptKind.Points ? rng.NextInclusive(1, o.MaxPositive) : 1;
        // A lone positive point would be a Point prompt; as a multi-point prompt it gets a negative one.
        int nNeg = kind == SamPromptKind.Points && (nPos == 1 || rng.Chance(o.Negative)) ? 1 : 0;
        int n = kind == SamPromptKind.Box ? 0 : nPos + nNeg;
        int k = o.PerImage;
        var coords = new float[k * n * 2];
        var labels = new long[k * n];
        var boxes = new float[kind == SamPromptKind.Box ? k * 4 : 0];
        var targets = new int[k];
        bool anyBackground = Array.IndexOf(background, true) >= 0;
        for (int p = 0; p < k; p++)
        {
            int t = kind == SamPromptKind.Point && anyBackground && rng.Chance(o.Background) ? -1 : rng.Next(masks.Count);
            targets[p] = t;
            var m = t < 0 ? background : masks[t];
            if (kind == SamPromptKind.Box)
            {
                JitteredBox(rng, m, h, w, o, inputSize).CopyTo(boxes, p * 4);
                continue;
            }
            for (int i = 0; i < n; i++)
            {
                bool positive = i < nPos;
                int pixel = RandomPixel(rng, m, positive);
                if (pixel < 0) pixel = RandomPixel(rng, m, true);  // the mask covers the whole image: no negative spot
                // A coordinate c stands for the point c + 0.5 (the prompt encoder's pixel-centre shift),
                // so c uniform in [x - 0.5, x + 0.5) covers pixel x like a click anywhere inside it.
                coords[(p * n + i) * 2] = (float)(pixel % w + rng.NextDouble() - 0.5);
                coords[(p * n + i) * 2 + 1] = (float)(pixel / w + rng.NextDouble() - 0.5);
                labels[p * n + i] = positive ? 1 : 0;
            }
        }
        return new SamPromptSet(kind, n, coords, labels, boxes, targets);
    }

    /// <summary>A uniformly chosen pixel index where mask == value, or -1 if there is none.</summary>
    public static int RandomPixel(DeterministicRandom rng, bool[] mask, bool value)
    {
        int count = 0;
        foreach (var v in mask) if (v == value) count++;
        if (count == 0) return -1;
        int pick = rng.Next(count);
        for (int i = 0; i < mask.Length; i++)
            if (mask[i] == value && pick-- == 0) return i;
        return -1;
    }

    /// <summary>The mask's box (inclusive pixel extremes, as SAM's mask-to-box) with Gaussian corner noise.</summary>
    static float[] JitteredBox(DeterministicRandom rng, bool[] m, int h, int w, SamPromptOptions o, int inputSize)
    {
        int x0 = w, y0 = h, x1 = -1, y1 = -1;
        for (int i = 0; i < m.Length; i++)
        {
            if (!m[i]) continue;
            int x = i % w, y = i / w;
            x0 = Math.Min(x0, x); x1 = Math.Max(x1, x);
            y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
        }
        double cap = o.BoxNoiseMax * inputSize;
        double Noise(double side) => Math.Clamp(Gaussian(rng) * o.BoxNoise * side, -cap, cap);
        double bw = x1 - x0 + 1, bh = y1 - y0 + 1;
        double nx0 = Math.Clamp(x0 + Noise(bw), 0, w - 1), nx1 = Math.Clamp(x1 + Noise(bw), 0, w - 1);
        double ny0 = Math.Clamp(y0 + Noise(bh), 0, h - 1), ny1 = Math.Clamp(y1 + Noise(bh), 0, h - 1);
        return [(float)Math.Min(nx0, nx1), (float)Math.Min(ny0, ny1), (float)Math.Max(nx0, nx1), (float)Math.Max(ny0, ny1)];
    }

    /// <summary>Standard normal draw (Box–Muller).</summary>
    static double Gaussian(DeterministicRandom rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
