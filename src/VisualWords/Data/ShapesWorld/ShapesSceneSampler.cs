namespace VisualWords.Data;

/// <summary>
/// Samples a ShapesWorld scene: a background, then objects placed one on top of the other, each
/// placement retried until no object (old or new) is more than 30% hidden. An object that finds no
/// such place is left out, so a scene may have fewer objects than asked; callers that need a
/// count range resample. Objects of one colour never overlap (their shared edge would not show).
/// </summary>
public static class ShapesSceneSampler
{
    const int PlacementAttempts = 40;

    /// <param name="rng">the image's own stream</param>
    /// <param name="size">canvas side in pixels</param>
    /// <param name="count">objects to place (1–10)</param>
    /// <param name="allowed">the (colour, shape) pairs objects are drawn from</param>
    /// <param name="forced">a pair the first object must have (the compositional split's held-out referent)</param>
    public static (ShapesScene Scene, IReadOnlyList<byte[]> Silhouettes) Sample(DeterministicRandom rng, int size, int count,
        IReadOnlyList<(string Colour, string Shape)> allowed, (string Colour, string Shape)? forced = null)
    {
        var background = SampleBackground(rng);
        var objects = new List<ShapeObject>();
        var silhouettes = new List<byte[]>();
        var top = new int[size * size];
        Array.Fill(top, -1);
        var full = new List<long>();
        var visible = new List<long>();

        for (int i = 0; i < count; i++)
        {
            var (colour, shape) = i == 0 && forced is { } f ? f : rng.Pick(allowed);
            var c = ShapesWorldSpec.Colours[ShapesWorldSpec.ColourIndex(colour)];
            byte Jitter(byte v) => (byte)Math.Clamp(v + rng.NextInclusive(-ShapesWorldSpec.ColourJitter, ShapesWorldSpec.ColourJitter), 0, 255);
            byte r = Jitter(c.R), g = Jitter(c.G), b = Jitter(c.B);
            for (int attempt = 0; attempt < PlacementAttempts; attempt++)
            {
                bool large = rng.Chance(0.5);
                var (lo, hi) = large ? ShapesWorldSpec.LargeDiameter : ShapesWorldSpec.SmallDiameter;
                double d = rng.Uniform(lo, hi) * size, rad = d / 2;
                var o = new ShapeObject(shape, colour, large, rng.Uniform(rad, size - rad), rng.Uniform(rad, size - rad), d,
                    rng.Uniform(0, 360), r, g, b);
                var s = ShapesRenderer.Silhouette(o, size);
                var occluded = new long[objects.Count];
                long area = 0;
                for (int p = 0; p < s.Length; p++)
                    if (s[p] != 0) { area++; if (top[p] >= 0) occluded[top[p]]++; }
                bool ok = area > 0;
                for (int j = 0; ok && j < objects.Count; j++)
                    ok = visible[j] - occluded[j] >= (1 - ShapesWorldSpec.MaxHiddenFraction) * full[j]
                         // Same-coloured objects may not overlap: their shared edge would be invisible.
                         && (occluded[j] == 0 || objects[j].Colour != colour);
                if (!ok) continue;
                for (int j = 0; j < objects.Count; j++) visible[j] -= occluded[j];
                int index = objects.Count;
                for (int p = 0; p < s.Length; p++) if (s[p] != 0) top[p] = index;
                objects.Add(o);
                silhouettes.Add(s);
                full.Add(area);
                visible.Add(area);
                break;
            }
            if (i == 0 && forced is not null && objects.Count == 0)
                throw new InvalidOperationException("the first object always fits an empty canvas");
        }
        return (new ShapesScene(size, background, objects), silhouettes);
    }

    /// <summary>Muted colours kept away from every object colour, so no object vanishes into the background.</summary>
    static ShapesBackground SampleBackground(DeterministicRandom rng)
    {
        string kind = rng.Pick<string>(["flat", "gradient", "noise"]);
        return new ShapesBackground(kind, MutedColour(rng), MutedColour(rng), rng.Uniform(0, 360), rng.NextUInt64());
    }

    static (byte R, byte G, byte B) MutedColour(DeterministicRandom rng)
    {
        while (true)
        {
            int grey = rng.NextInclusive(70, 190);
            int r = grey + rng.NextInclusive(-25, 25), g = grey + rng.NextInclusive(-25, 25), b = grey + rng.NextInclusive(-25, 25);
            bool farFromObjects = ShapesWorldSpec.Colours.All(c =>
                Math.Sqrt((c.R - r) * (c.R - r) + (c.G - g) * (c.G - g) + (c.B - b) * (c.B - b)) >= 80);
            if (farFromObjects) return ((byte)r, (byte)g, (byte)b);
        }
    }
}
