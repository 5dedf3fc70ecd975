namespace VisualWords.Sam.Amg;

/// <summary>How everything mode spends its prompts (see <see cref="AutomaticMaskGeneratorConfig.Mode"/>).</summary>
public enum AmgMode
{
    /// <summary>The official generator's masks: every grid point prompted, filters on full-size masks.</summary>
    Exact,
    /// <summary>
    /// Coarse-to-fine prompting (a sparse grid first, finer grid points only where no kept mask covers
    /// them yet), filters and NMS on the low-res logits, only the survivors upscaled.
    /// </summary>
    Fast,
}

/// <summary>
/// Options of everything mode, named and defaulted as the official <c>SamAutomaticMaskGenerator</c>
/// (defaults were tuned there for ViT-H).
/// </summary>
public sealed record AutomaticMaskGeneratorConfig
{
    /// <summary>Points sampled along one side of each crop (points_per_side²); null when <see cref="PointGrids"/> is given.</summary>
    public int? PointsPerSide { get; init; } = 32;

    /// <summary>Point prompts decoded together (a speed/memory trade-off, not a quality one).</summary>
    public int PointsPerBatch { get; init; } = 64;

    /// <summary>Keep masks whose predicted IoU is above this (0 disables the filter).</summary>
    public double PredIouThresh { get; init; } = 0.88;

    /// <summary>Keep masks whose stability score is at least this (0 disables the filter).</summary>
    public double StabilityScoreThresh { get; init; } = 0.95;

    /// <summary>How far the binarisation cutoff moves for the stability score.</summary>
    public double StabilityScoreOffset { get; init; } = 1.0;

    /// <summary>Box IoU above which NMS drops duplicates within a crop.</summary>
    public double BoxNmsThresh { get; init; } = 0.7;

    /// <summary>Extra crop layers; layer i tiles the image with 2^i × 2^i crops.</summary>
    public int CropNLayers { get; init; } = 0;

    /// <summary>Box IoU above which NMS drops duplicates between crops (smaller crops win).</summary>
    public double CropNmsThresh { get; init; } = 0.7;

    /// <summary>Overlap of neighbouring first-layer crops as a fraction of the short side.</summary>
    public double CropOverlapRatio { get; init; } = 512.0 / 1500;

    /// <summary>Points per side in layer i are divided by this to the power i.</summary>
    public int CropNPointsDownscaleFactor { get; init; } = 1;

    /// <summary>
    /// Explicit point grids in [0,1]² (float64 [N, 2], x then y), one per crop layer; exclusive with
    /// <see cref="PointsPerSide"/>.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<TorchSharp.torch.Tensor>? PointGrids { get; init; }

    /// <summary>If above 0, holes and islands smaller than this many pixels are removed from each mask.</summary>
    public int MinMaskRegionArea { get; init; } = 0;

    /// <summary>
    /// <see cref="AmgMode.Exact"/> (default: the official generator's records) or <see cref="AmgMode.Fast"/>.
    /// </summary>
    public AmgMode Mode { get; init; } = AmgMode.Exact;

    /// <summary>
    /// Fast mode: spacing (in grid points) of the first, sparsest prompt lattice; each further level
    /// halves it down to the full grid (<see cref="CoarseToFine"/>).
    /// </summary>
    public int FastCoarseStride { get; init; } = 4;

    /// <summary>
    /// Fast mode: a finer grid point is skipped only when kept masks cover every low-res pixel within
    /// this many pixels of it (2 measured best of 0–2 on ShapesWorld val; docs/superpixels.md).
    /// </summary>
    public int FastCoverageMargin { get; init; } = 2;

    /// <summary>
    /// Fast mode: at most this many prompts per crop (0: no cap). When a level's uncovered points would
    /// exceed what is left, the points farthest from every prompt so far go first
    /// (<see cref="CoarseToFine.FarthestFirst"/>), so a capped grid is still spread evenly. The default,
    /// 256, is a 16 × 16 grid's worth: it never binds at 16 × 16, and bounds the cost of a denser grid on
    /// a SAM whose masks cover little (random weights keep none, so nothing is ever covered).
    /// </summary>
    public int FastMaxPrompts { get; init; } = 256;

    public void Validate()
    {
        if ((PointsPerSide is null) == (PointGrids is null))
            throw new BadInputException("give exactly one of points_per_side and point_grids");
        if (PointsPerSide is < 1) throw new BadInputException($"points_per_side must be at least 1 (got {PointsPerSide})");
        if (PointGrids is { } g && g.Count < CropNLayers + 1)
            throw new BadInputException($"point_grids has {g.Count} grids, crop_n_layers = {CropNLayers} needs {CropNLayers + 1}");
        if (PointsPerBatch < 1) throw new BadInputException($"points_per_batch must be at least 1 (got {PointsPerBatch})");
        Check01(PredIouThresh, "pred_iou_thresh");
        Check01(StabilityScoreThresh, "stability_score_thresh");
        Check01(BoxNmsThresh, "box_nms_thresh");
        Check01(CropNmsThresh, "crop_nms_thresh");
        if (StabilityScoreOffset < 0) throw new BadInputException($"stability_score_offset must be >= 0 (got {StabilityScoreOffset})");
        if (CropNLayers < 0) throw new BadInputException($"crop_n_layers must be >= 0 (got {CropNLayers})");
        if (CropOverlapRatio is < 0 or >= 1) throw new BadInputException($"crop_overlap_ratio must be in [0, 1) (got {CropOverlapRatio})");
        if (CropNPointsDownscaleFactor < 1) throw new BadInputException($"crop_n_points_downscale_factor must be >= 1 (got {CropNPointsDownscaleFactor})");
        if (FastCoverageMargin < 0) throw new BadInputException($"fast coverage margin must be >= 0 (got {FastCoverageMargin})");
        if (FastCoarseStride < 1) throw new BadInputException($"fast coarse stride must be at least 1 (got {FastCoarseStride})");
        if (FastMaxPrompts < 0) throw new BadInputException($"fast max prompts must be >= 0, 0 for no cap (got {FastMaxPrompts})");
        if (MinMaskRegionArea < 0) throw new BadInputException($"min_mask_region_area must be >= 0 (got {MinMaskRegionArea})");
    }

    static void Check01(double v, string name)
    {
        if (v is < 0 or > 1 || double.IsNaN(v)) throw new BadInputException($"{name} must be in [0, 1] (got {v})");
    }
}
