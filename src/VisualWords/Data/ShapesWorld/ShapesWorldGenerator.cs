namespace VisualWords.Data;

/// <summary>An object as annotated: its visible-part mask and the facts expressions were written from.</summary>
public sealed record ShapesAnnotation(ShapeObject Object, ShapesFact Fact, Rle Mask, double[] Bbox, long FullArea);

/// <summary>One generated image: its split, scene, annotations (index = drawing order) and the expressions per referred object.</summary>
public sealed record ShapesImage(int Index, string Split, ShapesScene Scene, IReadOnlyList<ShapesAnnotation> Annotations,
    IReadOnlyList<(int Object, IReadOnlyList<ShapesExpression> Expressions)> Refs);

/// <summary>
/// Makes ShapesWorld image <c>index</c> of a dataset from <c>seed</c> alone (its own random stream),
/// so images can be made in any order, in parallel, and again after a crash with the same result.
/// </summary>
public static class ShapesWorldGenerator
{
    public static ShapesImage Generate(long seed, int index, ShapesWorldOptions options)
    {
        var rng = DeterministicRandom.Fork(seed, index);
        string split = ChooseSplit(rng, options);
        var heldOut = options.HeldOut.ToHashSet();
        var allPairs = ShapesWorldSpec.Colours.SelectMany(c => ShapesWorldSpec.Shapes.Select(s => (c.Name, s))).ToList();
        var allowed = split == "compositional" ? allPairs : allPairs.Where(p => !heldOut.Contains(p)).ToList();
        var (min, max) = split switch
        {
            "testA" => (ShapesWorldSpec.MinObjects, ShapesWorldOptions.TestAMaxObjects),
            "testB" => (ShapesWorldOptions.TestBMinObjects, ShapesWorldSpec.MaxObjects),
            _ => (ShapesWorldSpec.MinObjects, ShapesWorldSpec.MaxObjects),
        };

        for (int attempt = 0; ; attempt++)
        {
            int count = rng.NextInclusive(min, max);
            (string, string)? forced = split == "compositional" ? rng.Pick(options.HeldOut) : null;
            var (scene, silhouettes) = ShapesSceneSampler.Sample(rng, options.Size, count, allowed, forced);
            if (scene.Objects.Count < min)
            {
                if (attempt >= 100) throw new InvalidOperationException($"image {index}: could not place {min} objects on a {options.Size} px canvas");
                continue;
            }
            var annotations = Annotate(scene, silhouettes);
            var facts = annotations.Select(a => a.Fact).ToList();
            var refs = new List<(int, IReadOnlyList<ShapesExpression>)>();
            for (int i = 0; i < facts.Count; i++)
            {
                // Held-out pairs are referents only in the compositional split (where they are the only referents).
                bool isHeldOut = heldOut.Contains((facts[i].Colour, facts[i].Shape));
                if ((split == "compositional") != isHeldOut) continue;
                var expressions = ShapesExpressions.For(i, facts, options.Size, rng, options.Expressions);
                if (expressions.Count > 0) refs.Add((i, expressions));
            }
            return new ShapesImage(index, split, scene, annotations, refs);
        }
    }

    static string ChooseSplit(DeterministicRandom rng, ShapesWorldOptions o)
    {
        double u = rng.NextDouble();
        double compositional = o.HeldOut.Count > 0 ? o.CompositionalFraction : 0;
        if ((u -= compositional) < 0) return "compositional";
        if ((u -= o.TestAFraction) < 0) return "testA";
        if ((u -= o.TestBFraction) < 0) return "testB";
        if ((u -= o.ValFraction) < 0) return "val";
        return "train";
    }

    /// <summary>Visible parts from the silhouettes (top object wins), with centroid, area and box.</summary>
    static List<ShapesAnnotation> Annotate(ShapesScene scene, IReadOnlyList<byte[]> silhouettes)
    {
        int size = scene.Size;
        var labels = ShapesRenderer.VisibleLabels(size, silhouettes);
        int n = scene.Objects.Count;
        var sumX = new double[n];
        var sumY = new double[n];
        var area = new long[n];
        for (int p = 0; p < labels.Length; p++)
        {
            int l = labels[p];
            if (l < 0) continue;
            area[l]++;
            sumX[l] += p % size;
            sumY[l] += p / size;
        }
        var result = new List<ShapesAnnotation>(n);
        var mask = new bool[labels.Length];
        for (int i = 0; i < n; i++)
        {
            for (int p = 0; p < labels.Length; p++) mask[p] = labels[p] == i;
            var rle = RleEncoding.Encode(mask, size, size);
            var o = scene.Objects[i];
            var fact = new ShapesFact(i, o.Shape, o.Colour, o.SizeWord, sumX[i] / area[i], sumY[i] / area[i], area[i]);
            result.Add(new ShapesAnnotation(o, fact, rle, RleOps.BoundingBox(rle), silhouettes[i].Sum(b => (long)b)));
        }
        return result;
    }
}
