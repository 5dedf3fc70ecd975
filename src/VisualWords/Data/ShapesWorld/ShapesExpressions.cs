namespace VisualWords.Data;

/// <summary>What expressions may say about one visible object: its attributes and its visible part's centroid and area.</summary>
public sealed record ShapesFact(int Index, string Shape, string Colour, string Size, double CentroidX, double CentroidY, long Area);

/// <summary>A generated expression; <see cref="Kind"/> is attribute, relation or extreme.</summary>
public sealed record ShapesExpression(int Target, string Text, string Kind);

/// <summary>
/// Writes ShapesWorld referring expressions, each naming exactly one object:
/// attributes (<c>[small|large] [colour] shape</c>, every shortest unique one), relations
/// (<c>np left of|right of|above|below np</c>; centroids, the dominant axis decides) and extremes
/// (<c>the leftmost|rightmost|topmost|bottommost|largest|smallest [colour] shape</c>), lowercase,
/// with an optional leading "the" and the synonyms box/disk and "to the left/right of".
/// Relations and extremes are only written when they hold with a margin, so that they are
/// visibly true, not just true to the pixel.
/// </summary>
public static class ShapesExpressions
{
    /// <summary>A noun phrase: shape, optionally colour and size class.</summary>
    public sealed record Np(string? Size, string? Colour, string Shape)
    {
        public bool Matches(ShapesFact f) => f.Shape == Shape && (Colour is null || f.Colour == Colour) && (Size is null || f.Size == Size);
        public int Words => 1 + (Colour is null ? 0 : 1) + (Size is null ? 0 : 1);
    }

    public sealed record Options(int MaxRelations = 2, int MaxExtremes = 1, double SynonymChance = 0.3, double LeadingTheChance = 0.8,
        double RelationMarginRatio = 1.25, double PositionMarginFraction = 0.03, double AreaMarginRatio = 1.25);

    /// <summary>Descriptions of an object from shortest to longest (colour before size at equal length).</summary>
    public static IEnumerable<Np> Descriptions(ShapesFact f) =>
        [new(null, null, f.Shape), new(null, f.Colour, f.Shape), new(f.Size, null, f.Shape), new(f.Size, f.Colour, f.Shape)];

    /// <summary>All unique descriptions of the shortest length, or none when the object has no unique description.</summary>
    public static IReadOnlyList<Np> ShortestUnique(ShapesFact target, IReadOnlyList<ShapesFact> facts)
    {
        var unique = Descriptions(target).Where(np => facts.Count(np.Matches) == 1).ToList();
        return unique.Count == 0 ? [] : unique.Where(np => np.Words == unique.Min(u => u.Words)).ToList();
    }

    /// <summary>
    /// How strongly "a REL b" holds: the displacement of a from b along the relation's direction
    /// (positive when a is on that side) and across it.
    /// </summary>
    public static (double Along, double Across) Displacement(ShapesFact a, ShapesFact b, string relation)
    {
        double dx = a.CentroidX - b.CentroidX, dy = a.CentroidY - b.CentroidY;
        return relation switch
        {
            "left of" => (-dx, Math.Abs(dy)),
            "right of" => (dx, Math.Abs(dy)),
            "above" => (-dy, Math.Abs(dx)),
            "below" => (dy, Math.Abs(dx)),
            _ => throw new ArgumentException($"unknown relation '{relation}'"),
        };
    }

    /// <summary>The rule itself: a REL b when a is displaced that way more than across (the dominant axis decides).</summary>
    public static bool Holds(ShapesFact a, ShapesFact b, string relation)
    {
        var (along, across) = Displacement(a, b, relation);
        return along > across;
    }

    public static IReadOnlyList<ShapesExpression> For(int target, IReadOnlyList<ShapesFact> facts, int canvasSize, DeterministicRandom rng, Options? options = null)
    {
        var o = options ?? new Options();
        var t = facts.First(f => f.Index == target);
        var result = new List<ShapesExpression>();
        foreach (var np in ShortestUnique(t, facts))
            result.Add(new(target, Phrase(np, rng, o, leading: true), "attribute"));

        var relations = RelationCandidates(t, facts, canvasSize, o);
        // Relations whose first noun phrase alone is ambiguous teach something; prefer them.
        foreach (var (np1, rel, anchor) in relations.OrderBy(r => facts.Count(r.Np1.Matches) > 1 ? 0 : 1).ThenBy(_ => rng.NextDouble()).Take(o.MaxRelations))
        {
            string relWord = rel is "left of" or "right of" && rng.Chance(o.SynonymChance) ? "to the " + rel : rel;
            result.Add(new(target, $"{Phrase(np1, rng, o, leading: true)} {relWord} the {ShapeWords(anchor, rng, o)}", "relation"));
        }

        var extremes = ExtremeCandidates(t, facts, canvasSize, o);
        foreach (var (word, np) in extremes.OrderBy(_ => rng.NextDouble()).Take(o.MaxExtremes))
            result.Add(new(target, $"the {word} {ShapeWords(np, rng, o)}", "extreme"));
        return result;
    }

    static List<(Np Np1, string Rel, Np Anchor)> RelationCandidates(ShapesFact t, IReadOnlyList<ShapesFact> facts, int canvasSize, Options o)
    {
        var list = new List<(Np, string, Np)>();
        foreach (var y in facts.Where(f => f.Index != t.Index))
        {
            var anchor = ShortestUnique(y, facts).FirstOrDefault();
            if (anchor is null) continue;
            foreach (var rel in ShapesWorldSpec.Relations)
            {
                var (along, across) = Displacement(t, y, rel);
                if (along < o.RelationMarginRatio * across || along < o.PositionMarginFraction * canvasSize) continue;
                var np1 = Descriptions(t).FirstOrDefault(np => facts.Where(x => x.Index != t.Index && x.Index != y.Index && np.Matches(x))
                    .All(x => Displacement(x, y, rel) is var (a, c) && a * o.RelationMarginRatio < c));
                if (np1 is not null) list.Add((np1, rel, anchor));
            }
        }
        return list;
    }

    static List<(string Word, Np Np)> ExtremeCandidates(ShapesFact t, IReadOnlyList<ShapesFact> facts, int canvasSize, Options o)
    {
        var list = new List<(string, Np)>();
        foreach (var word in ShapesWorldSpec.PositionExtremes.Concat(ShapesWorldSpec.SizeExtremes))
            foreach (var np in new Np[] { new(null, null, t.Shape), new(null, t.Colour, t.Shape) })
            {
                var others = facts.Where(f => f.Index != t.Index && np.Matches(f)).ToList();
                if (others.Count == 0) continue;
                if (ClearlyExtreme(word, t, others, canvasSize, o)) { list.Add((word, np)); break; }
            }
        return list;
    }

    /// <summary>The rule: the extreme of the centroids' x/y (leftmost: smallest x) or of visible areas.</summary>
    public static double ExtremeKey(string word, ShapesFact f) => word switch
    {
        "leftmost" => -f.CentroidX,
        "rightmost" => f.CentroidX,
        "topmost" => -f.CentroidY,
        "bottommost" => f.CentroidY,
        "largest" => f.Area,
        "smallest" => -f.Area,
        _ => throw new ArgumentException($"unknown extreme '{word}'"),
    };

    static bool ClearlyExtreme(string word, ShapesFact t, List<ShapesFact> others, int canvasSize, Options o)
    {
        double best = others.Max(f => ExtremeKey(word, f)), mine = ExtremeKey(word, t);
        if (word is "largest") return mine >= o.AreaMarginRatio * best;
        if (word is "smallest") return -best >= o.AreaMarginRatio * -mine;
        return mine - best >= o.PositionMarginFraction * canvasSize;
    }

    static string Phrase(Np np, DeterministicRandom rng, Options o, bool leading) =>
        (leading && rng.Chance(o.LeadingTheChance) ? "the " : "") + ShapeWords(np, rng, o);

    static string ShapeWords(Np np, DeterministicRandom rng, Options o)
    {
        string shape = np.Shape switch
        {
            "square" when rng.Chance(o.SynonymChance) => "box",
            "circle" when rng.Chance(o.SynonymChance) => "disk",
            _ => np.Shape,
        };
        return string.Join(' ', new[] { np.Size, np.Colour, shape }.Where(w => w is not null));
    }
}
