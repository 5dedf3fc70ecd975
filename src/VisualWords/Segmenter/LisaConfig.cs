using VisualWords.Superpixels;
using System.Text.Json;
using VisualWords.Language;
using VisualWords.Sam;
using VisualWords.Vision;

namespace VisualWords.Segmenter;

/// <summary>
/// What a LISA checkpoint's <c>config.json</c> says beyond LLaMA: LLaVA's vision fields
/// (<c>mm_vision_tower</c>, <c>mm_hidden_size</c>, <c>mm_vision_select_layer</c>/<c>_feature</c>,
/// <c>mm_use_im_start_end</c>) and LISA's (<c>out_dim</c>, <c>train_mask_decoder</c>). LISA always
/// builds SAM ViT-H; <see cref="Sam"/> is what the loader found in the weights.
/// </summary>
/// <param name="Llm">The whole config.json (LLaMA fields are read from it; the rest is ignored there).</param>
/// <param name="AddedTokens">Tokens after the base vocabulary, in id order ([SEG], &lt;im_start&gt;, &lt;im_end&gt;).</param>
public sealed record LisaConfig(
    JsonElement Llm, string VisionTower, int MmHiddenSize, int VisionSelectLayer, bool ImageStartEnd,
    int OutDim, int VocabSize, string Sam = "vit_h", IReadOnlyList<string>? AddedTokens = null)
{
    /// <summary>config.json's torch_dtype is bfloat16 or float16 (LISA's merge script saves bf16).</summary>
    public bool LlmHalf => Llm.TryGetProperty("torch_dtype", out var d) && d.GetString() is "bfloat16" or "float16";

    /// <summary>The full sizes we know by name, with the tokens LISA adds to the LLaMA tokenizer.</summary>
    public static IReadOnlyDictionary<string, LisaConfig> Registry { get; } = new Dictionary<string, LisaConfig>(StringComparer.OrdinalIgnoreCase)
    {
        // LISA-7B-v1: LLaVA-Lightning-7B-v1-1 (Vicuna-7B) + CLIP ViT-L/14 at 224 + a Linear projector + SAM ViT-H;
        // [SEG] then <im_start>/<im_end> appended to LLaMA's 32,000 pieces.
        ["LISA-7B-v1"] = Parse(JsonDocument.Parse("""
            {"architectures": ["LISAForCausalLM"], "model_type": "llava", "hidden_size": 4096,
             "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32,
             "num_key_value_heads": 32, "rms_norm_eps": 1e-06, "max_position_embeddings": 2048,
             "tie_word_embeddings": false, "torch_dtype": "bfloat16", "vocab_size": 32003,
             "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0,
             "mm_vision_tower": "openai/clip-vit-large-patch14", "mm_hidden_size": 1024,
             "mm_vision_select_layer": -2, "mm_vision_select_feature": "patch", "mm_use_im_start_end": true,
             "out_dim": 256, "train_mask_decoder": true}
            """).RootElement.Clone(), "LISA-7B-v1") with { AddedTokens = [SpecialTokens.Seg, SpecialTokens.ImageStart, SpecialTokens.ImageEnd] },
    };

    /// <summary>True when the folder holds a config.json with LLaVA's <c>mm_vision_tower</c> (how LISA folders differ from ours and from plain LLaMA).</summary>
    public static bool IsLisaFolder(string dir)
    {
        var path = Path.Combine(dir, "config.json");
        if (!File.Exists(path)) return false;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("mm_vision_tower", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public static LisaConfig Load(string dir)
    {
        var path = Path.Combine(dir, "config.json");
        if (!File.Exists(path)) throw new BadInputException($"LISA config not found: {path}");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return Parse(doc.RootElement.Clone(), path);
        }
        catch (JsonException e)
        {
            throw new BadInputException($"{path}: not valid JSON ({e.Message})");
        }
    }

    public static LisaConfig Parse(JsonElement e, string what)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new BadInputException($"{what}: top level must be a JSON object");
        JsonElement Need(string key) => e.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v
            : throw new BadInputException($"{what}: '{key}' is missing (not a LISA / LLaVA checkpoint config?)");
        int Int(string key, int fallback) => e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;
        // LISA writes the tower under both names; LLaVA only under mm_vision_tower.
        var tower = e.TryGetProperty("mm_vision_tower", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : Need("vision_tower").GetString()!;
        var feature = e.TryGetProperty("mm_vision_select_feature", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : "patch";
        if (feature != "patch")
            throw new BadInputException($"{what}: mm_vision_select_feature '{feature}' is not supported (LISA uses 'patch': CLS dropped)");
        var llm = LlamaConfig.FromJson(e.GetRawText());
        return new LisaConfig(
            Llm: e, VisionTower: tower,
            MmHiddenSize: Need("mm_hidden_size").GetInt32(),
            VisionSelectLayer: Int("mm_vision_select_layer", -2),
            ImageStartEnd: e.TryGetProperty("mm_use_im_start_end", out var se) && se.ValueKind == JsonValueKind.True,
            OutDim: Need("out_dim").GetInt32(),
            VocabSize: llm.VocabSize);
    }

    /// <summary>
    /// Our model for this checkpoint: the SAM and CLIP registry entries, CLIPImageProcessor's
    /// resize-and-crop, a Linear projector (one token per patch, so the "visual words" are the patch
    /// grid), LISA's prompt with &lt;im_start&gt;/&lt;im_end&gt;.
    /// </summary>
    public VisualWordsConfig ToModelConfig(string visionTower)
    {
        var tower = VisionTowers.Get(visionTower);
        if (tower.HiddenSize != MmHiddenSize)
            throw new BadInputException($"LISA config: mm_hidden_size {MmHiddenSize} but vision tower '{visionTower}' is {tower.HiddenSize} wide");
        if (tower.FeatureLayer != VisionSelectLayer)
            throw new BadInputException($"LISA config: mm_vision_select_layer {VisionSelectLayer} but vision tower '{visionTower}' gives layer {tower.FeatureLayer}");
        var sam = SamModelConfig.Get(Sam);
        if (sam.PromptEmbedDim != OutDim)
            throw new BadInputException($"LISA config: out_dim {OutDim} but SAM {Sam} takes {sam.PromptEmbedDim}-wide prompts");
        return new VisualWordsConfig
        {
            Sam = Sam,
            VisionTower = visionTower,
            VisionResize = VisionResizeMode.Crop,
            Projector = "linear",
            Llm = Llm,
            Tokenizer = TokenizerKind.SentencePiece,
            LlmVocabSize = VocabSize,
            // LISA stores and runs its LLM in half precision; bf16 keeps LISA-7B within 24 GB here.
            LlmDtype = LlmHalf ? LlmDtype.BFloat16 : LlmDtype.Float32,
            ImageStartEnd = ImageStartEnd,
            Superpixels = new SuperpixelSourceConfig { Kind = "grid", GridCells = tower.NativeGrid },
            TrainVisionTower = false,
        };
    }
}
