namespace VisualWords.Superpixels;

/// <summary>Which region gets the pixels where two kept masks overlap.</summary>
public enum OverlapWinner
{
    /// <summary>Finer masks are carved out of coarser ones (default: a part inside a whole keeps its own word).</summary>
    Finer,
    /// <summary>Coarser masks keep their pixels; finer ones only get what is left.</summary>
    Coarser,
}

/// <summary>How a generator mask's level (whole / part / sub-part) is decided.</summary>
public enum LevelAssignment
{
    /// <summary>
    /// By area among the (up to) three masks SAM gave for the same point prompt: the largest is the
    /// whole, the smallest the sub-part. SAM's output order is learned, not guaranteed, so area is the
    /// robust default.
    /// </summary>
    AreaRankPerPoint,
    /// <summary>By SAM's multimask output index (2 → whole, 1 → part, 0 → sub-part).</summary>
    OutputIndex,
}

/// <summary>
/// The recipe that turns everything-mode masks into semantic superpixels. Defaults are the recipe of
/// the first author's earlier SAM-superpixel work (issue 5).
/// </summary>
public sealed record SemanticSuperpixelConfig
{
    /// <summary>
    /// A mask is kept only if less than this fraction of its pixels is already covered by masks kept
    /// before it (masks are visited whole → part → sub-part, larger first within a level).
    /// </summary>
    public double MaxCoveredFraction { get; init; } = 0.30;

    /// <summary>Who owns overlapping pixels.</summary>
    public OverlapWinner OverlapWinner { get; init; } = OverlapWinner.Finer;

    /// <summary>How levels are assigned to masks.</summary>
    public LevelAssignment LevelAssignment { get; init; } = LevelAssignment.AreaRankPerPoint;

    /// <summary>Regions smaller than this many pixels merge into the neighbour with the longest shared border.</summary>
    public long MinRegionArea { get; init; } = 100;

    /// <summary>If set, the smallest regions keep merging until at most this many remain.</summary>
    public int? MaxRegions { get; init; }

    /// <summary>4 or 8: connectivity of the components that uncovered pixels form.</summary>
    public int UncoveredConnectivity { get; init; } = 4;

    /// <summary>
    /// If above 0, each region is split into its colour-coherent parts before the small regions merge
    /// (<see cref="ColourSplit"/>; 4-neighbours stay together when no RGB channel differs by more than
    /// this). Off by default (the paper's partition); measured on ShapesWorld in docs/superpixels.md.
    /// </summary>
    public int ColourSplitTolerance { get; init; }

    public void Validate()
    {
        if (MaxCoveredFraction is <= 0 or > 1) throw new BadInputException($"max covered fraction must be in (0, 1] (got {MaxCoveredFraction})");
        if (MinRegionArea < 0) throw new BadInputException($"min region area must be >= 0 (got {MinRegionArea})");
        if (MaxRegions is < 1) throw new BadInputException($"max regions must be at least 1 (got {MaxRegions})");
        if (ColourSplitTolerance is < 0 or > 255) throw new BadInputException($"colour split tolerance must be in 0..255, 0 = off (got {ColourSplitTolerance})");
        if (UncoveredConnectivity is not (4 or 8)) throw new BadInputException($"connectivity must be 4 or 8 (got {UncoveredConnectivity})");
    }
}
