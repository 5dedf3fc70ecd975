using System.CommandLine;
using System.Globalization;
using TorchSharp;
using VisualWords.Sam;
using VisualWords.Sam.Amg;
using VisualWords.Superpixels;

namespace VisualWords.Cli.Commands;

/// <summary>
/// The options that choose and tune a superpixel method, shared by <c>superpixels</c> and
/// <c>precompute</c> so both build the same <see cref="ISuperpixelizer"/> from the same flags.
/// </summary>
public sealed class SuperpixelOptions
{
    static readonly AutomaticMaskGeneratorConfig Amg = new();
    static readonly SemanticSuperpixelConfig Sem = new();

    public readonly Option<string> Method = new("--method")
    {
        Description = "semantic (SAM everything mode -> semantic superpixels), grid (patch pooling cells) or slic.",
        DefaultValueFactory = _ => "semantic",
    };
    public readonly Option<string> ModelType = new("--model-type")
    {
        Description = $"SAM model type for --method semantic: {string.Join(", ", SamModelConfig.Registry.Keys)}.",
        DefaultValueFactory = _ => "vit_b",
    };
    public readonly Option<string?> Mode = new("--mode")
    {
        Description = "Everything mode for --method semantic: exact (the official generator's masks) or fast (coarse-to-fine prompts, " +
            "filters on low-res masks; the default for visual words). Default: fast, or exact with --masks-json.",
    };
    public readonly Option<int> FastMaxPrompts = new("--fast-max-prompts") { Description = "Fast mode: at most this many prompts per crop, spread farthest-first when the cap binds (0: no cap).", DefaultValueFactory = _ => Amg.FastMaxPrompts };
    public readonly Option<int> CoarseStride = new("--coarse-stride") { Description = "Fast mode: spacing in grid points of the first, sparsest prompt lattice.", DefaultValueFactory = _ => Amg.FastCoarseStride };
    public readonly Option<string?> Checkpoint = new("--checkpoint") { Description = "SAM checkpoint with the official keys (needed for --method semantic)." };
    public readonly Option<int> PointsPerSide = new("--points-per-side") { Description = $"Point prompts per image side.", DefaultValueFactory = _ => Amg.PointsPerSide!.Value };
    public readonly Option<int> PointsPerBatch = new("--points-per-batch") { Description = $"Point prompts decoded together.", DefaultValueFactory = _ => Amg.PointsPerBatch };
    public readonly Option<double> PredIouThresh = new("--pred-iou-thresh") { Description = $"Keep masks with predicted IoU above this.", DefaultValueFactory = _ => Amg.PredIouThresh };
    public readonly Option<double> StabilityThresh = new("--stability-score-thresh") { Description = $"Keep masks with stability score at least this.", DefaultValueFactory = _ => Amg.StabilityScoreThresh };
    public readonly Option<double> StabilityOffset = new("--stability-score-offset") { Description = $"Cutoff shift of the stability score.", DefaultValueFactory = _ => Amg.StabilityScoreOffset };
    public readonly Option<double> BoxNmsThresh = new("--box-nms-thresh") { Description = $"Box IoU for NMS within a crop.", DefaultValueFactory = _ => Amg.BoxNmsThresh };
    public readonly Option<int> CropNLayers = new("--crop-n-layers") { Description = "Extra crop layers.", DefaultValueFactory = _ => Amg.CropNLayers };
    public readonly Option<int> MinMaskRegionArea = new("--min-mask-region-area") { Description = "Remove mask holes/islands under this many pixels (0 = off).", DefaultValueFactory = _ => Amg.MinMaskRegionArea };
    public readonly Option<long> MinRegionArea = new("--min-region-area") { Description = $"Superpixels under this many pixels merge into a neighbour.", DefaultValueFactory = _ => Sem.MinRegionArea };
    public readonly Option<int?> MaxRegions = new("--max-regions") { Description = "Merge the smallest superpixels until at most this many remain (default: no cap)." };
    public readonly Option<int> ColourSplit = new("--colour-split") { Description = "Split each superpixel into its colour-coherent parts: 4-neighbours stay together when no RGB channel differs by more than this (0: off).", DefaultValueFactory = _ => 0 };
    public readonly Option<string> OverlapWinner = new("--overlap-winner") { Description = "Who owns overlaps of kept masks: finer or coarser.", DefaultValueFactory = _ => "finer" };
    public readonly Option<int> GridCells = new("--grid-cells") { Description = "Cells per side for --method grid.", DefaultValueFactory = _ => 16 };
    public readonly Option<int> SlicSegments = new("--slic-segments") { Description = "Target superpixel count for --method slic.", DefaultValueFactory = _ => 256 };

    public readonly Option<string> SamDtype = SamDtypeOption.Create();

    public IEnumerable<Option> All => [Method, Mode, CoarseStride, FastMaxPrompts, ModelType, Checkpoint, SamDtype, PointsPerSide, PointsPerBatch, PredIouThresh, StabilityThresh, StabilityOffset,
        BoxNmsThresh, CropNLayers, MinMaskRegionArea, MinRegionArea, MaxRegions, ColourSplit, OverlapWinner, GridCells, SlicSegments];

    public void AddTo(Command cmd)
    {
        foreach (var o in All) cmd.Options.Add(o);
    }

    /// <summary>The --method value, normalised.</summary>
    public string MethodName(ParseResult r) => r.GetValue(Method)!.Trim().ToLowerInvariant();

    /// <summary>The everything-mode mode: --mode if given, else <paramref name="fallback"/>.</summary>
    public AmgMode ModeOf(ParseResult r, AmgMode fallback) => r.GetValue(Mode)?.Trim().ToLowerInvariant() switch
    {
        null => fallback,
        "exact" => AmgMode.Exact,
        "fast" => AmgMode.Fast,
        var other => throw new BadInputException($"--mode must be exact or fast (got '{other}')"),
    };

    /// <summary>The configured superpixelizer and a canonical one-line description of its settings.</summary>
    /// <param name="defaultMode">Everything mode when --mode is not given.</param>
    public (ISuperpixelizer Superpixelizer, string Settings, IDisposable? Owned) Build(ParseResult r, TorchSharp.torch.Device device, AmgMode defaultMode = AmgMode.Fast)
    {
        var method = MethodName(r);
        switch (method)
        {
            case "grid":
                var grid = new GridSuperpixelizer(r.GetValue(GridCells));
                return (grid, $"cells={grid.CellsPerSide}", null);
            case "slic":
                var slic = new SlicSuperpixelizer(new SlicConfig { Segments = r.GetValue(SlicSegments) });
                return (slic, $"segments={slic.Config.Segments} compactness={slic.Config.Compactness}", null);
            case "semantic":
                var ckpt = r.GetValue(Checkpoint) ?? throw new BadInputException("--method semantic needs --checkpoint (a SAM checkpoint)");
                var modelConfig = SamModelConfig.Get(r.GetValue(ModelType)!);
                var amg = new AutomaticMaskGeneratorConfig
                {
                    PointsPerSide = r.GetValue(PointsPerSide),
                    PointsPerBatch = r.GetValue(PointsPerBatch),
                    PredIouThresh = r.GetValue(PredIouThresh),
                    StabilityScoreThresh = r.GetValue(StabilityThresh),
                    StabilityScoreOffset = r.GetValue(StabilityOffset),
                    BoxNmsThresh = r.GetValue(BoxNmsThresh),
                    CropNLayers = r.GetValue(CropNLayers),
                    MinMaskRegionArea = r.GetValue(MinMaskRegionArea),
                    Mode = ModeOf(r, defaultMode),
                    FastCoarseStride = r.GetValue(CoarseStride),
                    FastMaxPrompts = r.GetValue(FastMaxPrompts),
                };
                var sem = new SemanticSuperpixelConfig
                {
                    MinRegionArea = r.GetValue(MinRegionArea),
                    MaxRegions = r.GetValue(MaxRegions),
                    ColourSplitTolerance = r.GetValue(ColourSplit),
                    OverlapWinner = r.GetValue(OverlapWinner)?.Trim().ToLowerInvariant() switch
                    {
                        "finer" => Superpixels.OverlapWinner.Finer,
                        "coarser" => Superpixels.OverlapWinner.Coarser,
                        var other => throw new BadInputException($"--overlap-winner must be finer or coarser (got '{other}')"),
                    },
                };
                amg.Validate();
                sem.Validate();
                if (!File.Exists(ckpt)) throw new BadInputException($"checkpoint '{ckpt}' not found");
                var dtype = SamDtypeOption.Parse(r.GetValue(SamDtype));
                var model = SamModel.FromCheckpoint(modelConfig, ckpt);
                model.to(device);
                model.SetEncoderDtype(dtype);
                var settings = string.Create(CultureInfo.InvariantCulture,
                    $"model={modelConfig.Name} checkpoint={Path.GetFileName(ckpt)} points={amg.PointsPerSide} iou={amg.PredIouThresh} " +
                    $"stability={amg.StabilityScoreThresh}/{amg.StabilityScoreOffset} nms={amg.BoxNmsThresh} crops={amg.CropNLayers} " +
                    $"min_mask_region={amg.MinMaskRegionArea} min_region={sem.MinRegionArea} max_regions={sem.MaxRegions?.ToString() ?? "none"} " +
                    $"overlap={sem.OverlapWinner} levels={sem.LevelAssignment} covered<{sem.MaxCoveredFraction}");
                // Exact mode keeps the settings line of the plans written before fast mode existed.
                if (amg.Mode == AmgMode.Fast) settings += $" mode=fast stride={amg.FastCoarseStride} max-prompts={amg.FastMaxPrompts}";
                if (sem.ColourSplitTolerance > 0) settings += $" colour_split={sem.ColourSplitTolerance}";
                if (dtype != TorchSharp.torch.ScalarType.Float32) settings += " sam_dtype=bf16";
                return (new SemanticSuperpixelizer(new SamAutomaticMaskGenerator(model, amg), sem), settings, model);
            default:
                throw new BadInputException($"--method must be semantic, grid or slic (got '{method}')");
        }
    }
}
