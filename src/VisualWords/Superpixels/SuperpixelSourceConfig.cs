using VisualWords.Sam;
using VisualWords.Sam.Amg;

namespace VisualWords.Superpixels;

/// <summary>
/// Where a model's visual words come from: SAM everything mode turned into semantic superpixels
/// (the paper), or a baseline without semantics. Stored in the model's <c>visualwords.json</c>.
/// </summary>
public sealed record SuperpixelSourceConfig
{
    /// <summary>semantic (SAM everything mode → semantic superpixels), grid (= patch pooling) or slic.</summary>
    public string Kind { get; init; } = "semantic";
    /// <summary>Everything mode's options (semantic only), with the official generator's defaults.</summary>
    public AutomaticMaskGeneratorConfig Generator { get; init; } = new();
    /// <summary>How the generator's masks become a partition (semantic only).</summary>
    public SemanticSuperpixelConfig Partition { get; init; } = new();
    /// <summary>Cells per side for the grid baseline; SLIC targets the square of it.</summary>
    public int GridCells { get; init; } = 8;

    public void Validate()
    {
        if (Kind is not ("semantic" or "grid" or "slic"))
            throw new BadInputException($"unknown superpixel source '{Kind}': use semantic, grid or slic");
        if (GridCells < 1) throw new BadInputException($"superpixels.grid_cells must be at least 1 (got {GridCells})");
        Generator.Validate();
        Partition.Validate();
    }

    /// <summary>The superpixelizer this config describes; the semantic one runs everything mode on <paramref name="sam"/>.</summary>
    public ISuperpixelizer Create(SamModel sam)
    {
        Validate();
        return Kind switch
        {
            "grid" => new GridSuperpixelizer(GridCells),
            "slic" => new SlicSuperpixelizer(new SlicConfig { Segments = GridCells * GridCells }),
            _ => new SemanticSuperpixelizer(new SamAutomaticMaskGenerator(sam, Generator), Partition),
        };
    }
}
