using VisualWords.Data;

namespace VisualWords.Tests.Data;

/// <summary>
/// An independent reading of ShapesWorld expressions, written from the spec (not from the
/// generator): which objects does an expression name? Objects are given by their attributes and
/// their visible masks' centroid and area.
/// </summary>
public static class ShapesResolver
{
    public sealed record Obj(long Id, string Shape, string Colour, string Size, double Cx, double Cy, long Area);

    static readonly string[] RelationPhrases = [" to the left of ", " to the right of ", " left of ", " right of ", " above ", " below "];
    static readonly HashSet<string> Colours = ["red", "green", "blue", "yellow", "purple", "orange", "white", "black"];
    static readonly HashSet<string> Shapes = ["circle", "square", "triangle", "star", "hexagon", "ring"];

    /// <summary>The objects the expression can denote; a good expression gives exactly one.</summary>
    public static List<Obj> Resolve(string text, IReadOnlyList<Obj> objects)
    {
        text = StripThe(text);
        foreach (var phrase in RelationPhrases)
        {
            int at = text.IndexOf(phrase, StringComparison.Ordinal);
            if (at < 0) continue;
            var anchors = Matching(text[..at] is var _ ? StripThe(text[(at + phrase.Length)..]) : "", objects);
            if (anchors.Count != 1) return [];
            var y = anchors[0];
            string rel = phrase.Trim().Replace("to the ", "");
            return Matching(text[..at], objects).Where(x => x != y && Holds(x, y, rel)).ToList();
        }
        var words = text.Split(' ');
        if (words[0] is "leftmost" or "rightmost" or "topmost" or "bottommost" or "largest" or "smallest")
        {
            var set = Matching(string.Join(' ', words[1..]), objects);
            if (set.Count == 0) return [];
            Func<Obj, double> key = words[0] switch
            {
                "leftmost" => o => -o.Cx, "rightmost" => o => o.Cx, "topmost" => o => -o.Cy,
                "bottommost" => o => o.Cy, "largest" => o => o.Area, _ => o => -o.Area,
            };
            double best = set.Max(key);
            return set.Where(o => key(o) == best).ToList();
        }
        return Matching(text, objects);
    }

    static bool Holds(Obj a, Obj b, string rel)
    {
        double dx = a.Cx - b.Cx, dy = a.Cy - b.Cy;
        return rel switch
        {
            "left of" => Math.Abs(dx) > Math.Abs(dy) && dx < 0,
            "right of" => Math.Abs(dx) > Math.Abs(dy) && dx > 0,
            "above" => Math.Abs(dy) > Math.Abs(dx) && dy < 0,
            "below" => Math.Abs(dy) > Math.Abs(dx) && dy > 0,
            _ => throw new ArgumentException(rel),
        };
    }

    /// <summary>"[the] [small|large] [colour] shape" (box = square, disk = circle).</summary>
    static List<Obj> Matching(string np, IReadOnlyList<Obj> objects)
    {
        var words = StripThe(np).Split(' ').ToList();
        string shape = words[^1] switch { "box" => "square", "disk" => "circle", var s => s };
        if (!Shapes.Contains(shape)) throw new FormatException($"'{np}' does not end in a shape");
        string? size = null, colour = null;
        foreach (var w in words.Take(words.Count - 1))
        {
            if (w is "small" or "large") size = w;
            else if (Colours.Contains(w)) colour = w;
            else throw new FormatException($"unexpected word '{w}' in '{np}'");
        }
        return objects.Where(o => o.Shape == shape && (colour is null || o.Colour == colour) && (size is null || o.Size == size)).ToList();
    }

    static string StripThe(string s) => s.StartsWith("the ") ? s[4..] : s;
}
