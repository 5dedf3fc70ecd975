using System.Text.Json;
using System.Text.Json.Serialization;
using VisualWords.Language;
using VisualWords.Projectors;
using VisualWords.Sam;
using VisualWords.Vision;

namespace VisualWords.Segmenter;

/// <summary>Where the visual words come from: SAM everything mode (the paper), or a baseline.</summary>
public sealed record SuperpixelSourceConfig
{
    /// <summary>semantic (SAM everything mode → semantic superpixels), grid (= patch pooling) or slic.</summary>
    public string Kind { get; init; } = "semantic";
    /// <summary>Point grid of the automatic mask generator (semantic only).</summary>
    public int PointsPerSide { get; init; } = 16;
    public double PredIouThresh { get; init; } = 0.88;
    public double StabilityScoreThresh { get; init; } = 0.95;
    /// <summary>Regions below this many pixels merge into a neighbour.</summary>
    public int MinRegionArea { get; init; } = 16;
    /// <summary>Upper bound on visual tokens per image (smallest regions merge first).</summary>
    public int MaxRegions { get; init; } = 48;
    /// <summary>Cells per side for the grid baseline; target count for SLIC.</summary>
    public int GridCells { get; init; } = 8;
}

/// <summary>
/// The whole referring segmenter: which SAM, which vision tower, which projector, which LLM and
/// tokenizer, and how superpixels are made. Stored as <c>visualwords.json</c> in a model folder.
/// </summary>
public sealed record VisualWordsConfig
{
    /// <summary>SAM registry name (see <see cref="SamModelConfig.Registry"/>).</summary>
    public string Sam { get; init; } = "vit_tiny";
    /// <summary>Vision tower registry name (see <see cref="VisionTowers.Configs"/>).</summary>
    public string VisionTower { get; init; } = "clip-tiny";
    /// <summary>Side of the square image the vision tower sees (default: the tower's native size).</summary>
    public int? VisionImageSize { get; init; }
    /// <summary>
    /// How an image becomes the tower's square input: "stretch" (PIL bilinear to S x S; the whole
    /// image, so superpixel label maps line up) or "crop" (CLIPImageProcessor as LLaVA v1 / LISA:
    /// bicubic shortest side to S, centred S x S crop; only for projectors that ignore label maps).
    /// </summary>
    public string VisionResize { get; init; } = "stretch";
    /// <summary>Projector kind (<see cref="ProjectorConfig.Parse"/>): semantic, semantic-no-sspe, mlp2x_gelu, pool2, resampler64, ...</summary>
    public string Projector { get; init; } = "semantic";
    /// <summary>Attention heads of the SSA / resampler (must divide the widths).</summary>
    public int ProjectorHeads { get; init; } = 4;
    public SuperpixelSourceConfig Superpixels { get; init; } = new();
    /// <summary>The LLM, in Hugging Face config.json terms (vocab_size is set from the tokenizer).</summary>
    public JsonElement Llm { get; init; }
    /// <summary>"word" (tokenizer.json in the model folder) or "sentencepiece" (tokenizer.model in the folder).</summary>
    public string Tokenizer { get; init; } = "word";
    /// <summary>
    /// LLM embedding / lm_head rows when they are not the tokenizer's size: LISA checkpoints have no
    /// row for the &lt;image&gt; placeholder (never embedded), so theirs is one less (null: the tokenizer's).
    /// </summary>
    public int? LlmVocabSize { get; init; }
    /// <summary>Wrap the image's tokens in &lt;im_start&gt;…&lt;im_end&gt; in the prompt (LISA's <c>mm_use_im_start_end</c>).</summary>
    public bool ImageStartEnd { get; init; } = false;
    /// <summary>LoRA rank on the LLM (0: train the LLM fully).</summary>
    public int LoraRank { get; init; } = 0;
    /// <summary>Train the vision tower (our synthetic-world models have no pretrained tower to keep).</summary>
    public bool TrainVisionTower { get; init; } = true;
    /// <summary>Train SAM's image encoder too (LISA freezes it).</summary>
    public bool TrainSamEncoder { get; init; } = false;

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static VisualWordsConfig Parse(JsonElement e, string what)
    {
        try
        {
            return e.Deserialize<VisualWordsConfig>(Json) ?? throw new BadInputException($"{what}: empty model config");
        }
        catch (JsonException ex)
        {
            throw new BadInputException($"{what}: {ex.Message}");
        }
    }

    public static VisualWordsConfig Load(string path)
    {
        if (!File.Exists(path)) throw new BadInputException($"model config not found: {path}");
        using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return Parse(doc.RootElement.Clone(), Path.GetFileName(path));
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public SamModelConfig SamConfig => SamModelConfig.Get(Sam);
    public VisionTowerConfig VisionConfig => VisionTowers.Get(VisionTower);
    public int VisionSize => VisionImageSize ?? VisionConfig.ImageSize;

    public LlamaConfig LlmConfig(int vocabSize)
    {
        if (Llm.ValueKind != JsonValueKind.Object) throw new BadInputException("model config: 'llm' (a Hugging Face LLaMA config object) is required");
        return LlamaConfig.FromJson(Llm.GetRawText()) with { VocabSize = vocabSize };
    }

    public ProjectorConfig ProjectorConfig(int textWidth)
    {
        int v = VisionConfig.HiddenSize;
        return ProjectorConfig_(Projectors.ProjectorConfig.Parse(Projector, v, textWidth));

        ProjectorConfig ProjectorConfig_(ProjectorConfig c) => c switch
        {
            SemanticProjectorConfig s => s with { SsaHeads = ProjectorHeads, SspeHidden = Math.Max(64, textWidth) },
            ResamplerProjectorConfig r => r with { Heads = ProjectorHeads },
            _ => c,
        };
    }
}
