namespace VisualWords.Data;

/// <summary>
/// How a ShapesWorld dataset is made. Split fractions are per image; testA scenes have at most
/// 4 objects, testB at least 7, and compositional scenes are the only ones in which the held-out
/// (colour, shape) pairs appear, always as referents.
/// </summary>
public sealed record ShapesWorldOptions
{
    public int Size { get; init; } = 256;
    public IReadOnlyList<(string Colour, string Shape)> HeldOut { get; init; } = ShapesWorldSpec.DefaultHeldOut;
    public double ValFraction { get; init; } = 0.05;
    public double TestAFraction { get; init; } = 0.05;
    public double TestBFraction { get; init; } = 0.05;
    public double CompositionalFraction { get; init; } = 0.05;
    public ShapesExpressions.Options Expressions { get; init; } = new();

    public const int TestAMaxObjects = 4;
    public const int TestBMinObjects = 7;

    public void Validate()
    {
        if (Size < 32 || Size > 4096) throw new BadInputException($"--size {Size}: use 32..4096 pixels");
        double sum = ValFraction + TestAFraction + TestBFraction + CompositionalFraction;
        if (new[] { ValFraction, TestAFraction, TestBFraction, CompositionalFraction }.Any(f => f < 0) || sum > 1)
            throw new BadInputException("split fractions must be non-negative and sum to at most 1");
        foreach (var (c, s) in HeldOut) { ShapesWorldSpec.ColourIndex(c); ShapesWorldSpec.ShapeIndex(s); }
        if (HeldOut.Count >= ShapesWorldSpec.Colours.Count * ShapesWorldSpec.Shapes.Count)
            throw new BadInputException("every (colour, shape) pair is held out; nothing is left for training");
    }
}
