namespace VisualWords.Projectors;

/// <summary>Vision width C in, LLM width D out; the derived records say which projector and how.</summary>
public abstract record ProjectorConfig(int VisionWidth, int TextWidth)
{
    public abstract VisualProjector Create();

    /// <summary>
    /// Projector by name, as the CLI and training configs spell it: linear, mlp2x_gelu, pool2/pool3/pool4,
    /// resampler[K] (e.g. resampler64), semantic, semantic-no-sspe, semantic-no-ssa, semantic-pool-only.
    /// </summary>
    public static ProjectorConfig Parse(string kind, int visionWidth, int textWidth)
    {
        var k = kind.Trim().ToLowerInvariant();
        return k switch
        {
            "linear" => new LinearProjectorConfig(visionWidth, textWidth),
            "mlp2x_gelu" or "mlp" => new MlpProjectorConfig(visionWidth, textWidth),
            "pool2" or "pool3" or "pool4" => new PoolingProjectorConfig(visionWidth, textWidth, k[^1] - '0'),
            "semantic" => new SemanticProjectorConfig(visionWidth, textWidth),
            "semantic-no-sspe" => new SemanticProjectorConfig(visionWidth, textWidth, UseSspe: false),
            "semantic-no-ssa" => new SemanticProjectorConfig(visionWidth, textWidth, UseSsa: false),
            "semantic-pool-only" => new SemanticProjectorConfig(visionWidth, textWidth, UseSspe: false, UseSsa: false),
            _ when k.StartsWith("resampler") => new ResamplerProjectorConfig(visionWidth, textWidth,
                Queries: k.Length == "resampler".Length ? 64
                    : int.TryParse(k["resampler".Length..], out var q) && q > 0 ? q
                    : throw new BadInputException($"projector '{kind}': resampler needs a positive query count, e.g. resampler64")),
            _ => throw new BadInputException(
                $"unknown projector '{kind}'; use linear, mlp2x_gelu, pool2, pool3, pool4, resamplerK, semantic, semantic-no-sspe, semantic-no-ssa or semantic-pool-only"),
        };
    }
}

/// <summary>LLaVA v1 / LISA's projector: one Linear, one token per patch.</summary>
public sealed record LinearProjectorConfig(int VisionWidth, int TextWidth) : ProjectorConfig(VisionWidth, TextWidth)
{
    public override VisualProjector Create() => new LinearProjector(this);
}

/// <summary>LLaVA-1.5's projector: one token per patch.</summary>
public sealed record MlpProjectorConfig(int VisionWidth, int TextWidth) : ProjectorConfig(VisionWidth, TextWidth)
{
    public override VisualProjector Create() => new MlpProjector(this);
}

/// <summary>k x k average pooling of the patch grid, then the MLP: ⌈h/k⌉·⌈w/k⌉ tokens.</summary>
public sealed record PoolingProjectorConfig(int VisionWidth, int TextWidth, int Kernel = 2) : ProjectorConfig(VisionWidth, TextWidth)
{
    public override VisualProjector Create() => new PoolingProjector(this);
}

/// <summary>K learned queries cross-attending to the patches for Layers layers, then the MLP: K tokens.</summary>
public sealed record ResamplerProjectorConfig(int VisionWidth, int TextWidth, int Queries = 64, int Layers = 2, int Heads = 16, int FfnRatio = 4)
    : ProjectorConfig(VisionWidth, TextWidth)
{
    public override VisualProjector Create() => new ResamplerProjector(this);
}

/// <summary>
/// One token per semantic superpixel. UseSspe / UseSsa switch the positional embedding and the
/// aggregator off for the ablation; SsaGlobal switches the aggregator's all-patch branch.
/// ShapeGrid: side of the region-mask thumbnail in SSPE's shape descriptor. SspeColour: SSPE also
/// embeds each region's mean colour (<see cref="ProjectorInput.RegionColours"/>), so a region's
/// appearance reaches its token even from a tower trained from scratch.
/// </summary>
public sealed record SemanticProjectorConfig(
    int VisionWidth, int TextWidth,
    bool UseSspe = true, bool UseSsa = true,
    int SsaLayers = 1, int SsaHeads = 16, int SsaFfnRatio = 4, bool SsaGlobal = true,
    int ShapeGrid = 8, int SspeHidden = 256, bool SspeColour = false)
    : ProjectorConfig(VisionWidth, TextWidth)
{
    public override VisualProjector Create() => new SemanticVisualProjector(this);
}
