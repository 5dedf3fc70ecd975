namespace VisualWords.Data;

/// <summary>
/// The ShapesWorld vocabulary, fixed by issue 6 so that any renderer following it is understood by
/// our model: six shapes, eight colours (RGB centres, jittered ±20 per channel), two size classes
/// as a fraction of the canvas (bounding diameter), and the synonyms expressions may use.
/// </summary>
public static class ShapesWorldSpec
{
    public static readonly IReadOnlyList<string> Shapes = ["circle", "square", "triangle", "star", "hexagon", "ring"];

    public static readonly IReadOnlyList<(string Name, byte R, byte G, byte B)> Colours =
    [
        ("red", 220, 40, 40), ("green", 40, 170, 60), ("blue", 40, 80, 220), ("yellow", 235, 210, 40),
        ("purple", 140, 60, 190), ("orange", 240, 140, 30), ("white", 245, 245, 245), ("black", 25, 25, 25),
    ];

    public const int ColourJitter = 20;

    public static readonly (double Min, double Max) SmallDiameter = (0.08, 0.14);
    public static readonly (double Min, double Max) LargeDiameter = (0.22, 0.32);

    /// <summary>An object may be hidden by later (upper) objects by at most this fraction of its area.</summary>
    public const double MaxHiddenFraction = 0.30;

    public const int MinObjects = 1;
    public const int MaxObjects = 10;

    /// <summary>Other words for a shape an expression may use (box = square, disk = circle).</summary>
    public static readonly IReadOnlyDictionary<string, string> ShapeSynonyms = new Dictionary<string, string>
    {
        ["box"] = "square",
        ["disk"] = "circle",
    };

    public static readonly IReadOnlyList<string> Relations = ["left of", "right of", "above", "below"];

    /// <summary>Other phrasings of a relation ("to the left of" = "left of").</summary>
    public static readonly IReadOnlyDictionary<string, string> RelationSynonyms = new Dictionary<string, string>
    {
        ["to the left of"] = "left of",
        ["to the right of"] = "right of",
    };

    public static readonly IReadOnlyList<string> PositionExtremes = ["leftmost", "rightmost", "topmost", "bottommost"];
    public static readonly IReadOnlyList<string> SizeExtremes = ["largest", "smallest"];

    /// <summary>The held-out (colour, shape) referents of the compositional split by default.</summary>
    public static readonly IReadOnlyList<(string Colour, string Shape)> DefaultHeldOut =
        [("purple", "star"), ("orange", "ring"), ("white", "triangle")];

    public static int ShapeIndex(string shape) =>
        Shapes.ToList().IndexOf(shape) is var i and >= 0 ? i : throw new BadInputException($"unknown shape '{shape}'");

    public static int ColourIndex(string colour) =>
        Colours.Select(c => c.Name).ToList().IndexOf(colour) is var i and >= 0 ? i : throw new BadInputException($"unknown colour '{colour}'");
}
