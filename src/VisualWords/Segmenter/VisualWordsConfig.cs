using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using VisualWords.Language;
using VisualWords.Projectors;
using VisualWords.Sam;
using VisualWords.Superpixels;
using VisualWords.Vision;

namespace VisualWords.Segmenter;

// The config's fixed choices. Their JSON names (snake_case, or the attribute's) are the strings
// visualwords.json has always used; JsonErrors lists them when a file has another value.

/// <summary>How an image becomes the vision tower's square input (<see cref="VisualWordsConfig.VisionResize"/>).</summary>
public enum VisionResizeMode
{
    /// <summary>PIL bilinear to S x S: the whole image, so superpixel label maps line up.</summary>
    Stretch,
    /// <summary>CLIPImageProcessor as LLaVA v1 / LISA: bicubic shortest side to S, centred S x S crop.</summary>
    Crop,
}

/// <summary>Which text tokenizer a model folder holds (<see cref="VisualWordsConfig.Tokenizer"/>).</summary>
public enum TokenizerKind
{
    /// <summary>tokenizer.json (<see cref="WordTokenizer"/>).</summary>
    Word,
    /// <summary>tokenizer.model (LLaMA's SentencePiece).</summary>
    [JsonStringEnumMemberName("sentencepiece")] SentencePiece,
}

/// <summary>The LLM's parameter and compute dtype (<see cref="VisualWordsConfig.LlmDtype"/>).</summary>
public enum LlmDtype
{
    [JsonStringEnumMemberName("float32")] Float32,
    [JsonStringEnumMemberName("bfloat16")] BFloat16,
}

/// <summary>The grounding's dense prompt to the mask decoder (<see cref="VisualWordsConfig.GroundingPrompt"/>).</summary>
public enum GroundingPromptMode
{
    /// <summary>Each word weighted by its sigmoid score.</summary>
    Soft,
    /// <summary>The chosen words at full weight, the others soft.</summary>
    Chosen,
}

/// <summary>Where the answer's mask comes from (<see cref="VisualWordsConfig.MaskFrom"/>).</summary>
public enum MaskSource
{
    /// <summary>SAM's mask decoder output.</summary>
    Decoder,
    /// <summary>The union of the grounded visual words (needs grounding).</summary>
    Words,
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
    public VisionResizeMode VisionResize { get; init; } = VisionResizeMode.Stretch;
    /// <summary>Projector kind (<see cref="ProjectorConfig.Parse"/>): semantic, semantic-no-sspe, mlp2x_gelu, pool2, resampler64, ...</summary>
    public string Projector { get; init; } = "semantic";
    /// <summary>Attention heads of the SSA / resampler (must divide the widths).</summary>
    public int ProjectorHeads { get; init; } = 4;
    public SuperpixelSourceConfig Superpixels { get; init; } = new();
    /// <summary>The LLM, in Hugging Face config.json terms (vocab_size is set from the tokenizer).</summary>
    public JsonElement Llm { get; init; }
    /// <summary>"word" (tokenizer.json in the model folder) or "sentencepiece" (tokenizer.model in the folder).</summary>
    public TokenizerKind Tokenizer { get; init; } = TokenizerKind.Word;
    /// <summary>
    /// LLM embedding / lm_head rows when they are not the tokenizer's size: LISA checkpoints have no
    /// row for the &lt;image&gt; placeholder (never embedded), so theirs is one less (null: the tokenizer's).
    /// </summary>
    public int? LlmVocabSize { get; init; }
    /// <summary>
    /// The LLM's parameter and compute dtype: "float32", or "bfloat16" (half the memory: LISA-7B's
    /// LLaMA is 13.5 GB instead of 27 GB; SAM, the tower, projector and head stay float32).
    /// </summary>
    public LlmDtype LlmDtype { get; init; } = LlmDtype.Float32;
    /// <summary>Wrap the image's tokens in &lt;im_start&gt;…&lt;im_end&gt; in the prompt (LISA's <c>mm_use_im_start_end</c>).</summary>
    public bool ImageStartEnd { get; init; } = false;
    /// <summary>LoRA rank on the LLM (0: train the LLM fully).</summary>
    public int LoraRank { get; init; } = 0;
    /// <summary>Train the vision tower (our synthetic-world models have no pretrained tower to keep).</summary>
    public bool TrainVisionTower { get; init; } = true;
    /// <summary>Train SAM's mask decoder and prompt encoder (LISA does); SAM's image encoder is always frozen.</summary>
    public bool TrainMaskDecoder { get; init; } = true;
    /// <summary>SSPE also embeds each visual word's mean colour.</summary>
    public bool SspeColour { get; init; } = false;
    /// <summary>
    /// Visual-word grounding: the [SEG] state scores every visual word, and the chosen words' mask
    /// is the mask decoder's dense prompt (false: LISA's [SEG]-only prompt).
    /// </summary>
    public bool Grounding { get; init; } = false;
    /// <summary>
    /// The grounding's dense prompt to the mask decoder: "soft" (each word weighted by its sigmoid
    /// score — mostly empty while no word scores above 0.5) or "chosen" (the chosen words, as
    /// <see cref="VisualWordGrounding.Choose"/> picks them, at full weight; the others soft).
    /// </summary>
    public GroundingPromptMode GroundingPrompt { get; init; } = GroundingPromptMode.Soft;
    /// <summary>"decoder" (SAM's mask decoder output) or "words" (the union of the grounded visual words; needs grounding).</summary>
    public MaskSource MaskFrom { get; init; } = MaskSource.Decoder;

    /// <summary>
    /// The rules between fields (called by the model's constructor); a choice outside its enum is
    /// already refused by <see cref="Parse"/>, naming the field and its values.
    /// </summary>
    public void Validate()
    {
        if (MaskFrom == MaskSource.Words && !Grounding)
            throw new BadInputException("model config: mask_from 'words' needs grounding: true");
        if (LoraRank < 0) throw new BadInputException($"model config: lora_rank must be >= 0 (got {LoraRank})");
        if (SspeColour && Projectors.ProjectorConfig.Parse(Projector, 1, 1) is Projectors.SemanticProjectorConfig { UseSspe: false })
            throw new BadInputException($"model config: sspe_colour adds the region's colour to SSPE, which projector '{Projector}' does not have; set sspe_colour: false");
        Superpixels.Validate();
    }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        // Names only: a number would pass for any choice, even one that has no name.
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false) },
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
            throw new BadInputException($"{what}: {JsonErrors.Describe(ex)}");
        }
    }

    /// <summary>Reads a model folder's config; <paramref name="overrides"/> (an object) replaces its top-level keys.</summary>
    public static VisualWordsConfig Load(string path, JsonElement? overrides = null)
    {
        if (!File.Exists(path)) throw new BadInputException($"model config not found: {path}");
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        if (JsonNode.Parse(File.ReadAllText(path), documentOptions: options) is not JsonObject root)
            throw new BadInputException($"{Path.GetFileName(path)}: expected a JSON object");
        if (overrides is { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } o)
        {
            if (o.ValueKind != JsonValueKind.Object) throw new BadInputException("model config overrides: expected a JSON object");
            foreach (var p in o.EnumerateObject()) root[p.Name] = JsonNode.Parse(p.Value.GetRawText());
        }
        return Parse(JsonSerializer.SerializeToElement(root), Path.GetFileName(path));
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
            SemanticProjectorConfig s => s with { SsaHeads = ProjectorHeads, SspeHidden = Math.Max(64, textWidth), SspeColour = SspeColour },
            ResamplerProjectorConfig r => r with { Heads = ProjectorHeads },
            _ => c,
        };
    }
}
