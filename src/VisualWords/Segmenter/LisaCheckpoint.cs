using System.Text.Json;
using VisualWords.Checkpoints;
using VisualWords.Language;
using VisualWords.Sam;
using VisualWords.Vision;

namespace VisualWords.Segmenter;

/// <summary>A LISA folder loaded into our model, with what the loader matched.</summary>
/// <param name="Report">The LISA weights' load report (keys in our names).</param>
/// <param name="VisionTowerFolder">Where the CLIP weights came from when the folder had none.</param>
public sealed record LisaLoad(VisualWordsModel Model, LoadReport Report, string? VisionTowerFolder);

/// <summary>
/// Loads a LISA-format Hugging Face folder (what LISA's merge_lora_weights_and_save_hf_model.py
/// writes: config.json, tokenizer.model + added tokens, sharded <c>pytorch_model-*.bin</c> or
/// safetensors with an index) into <see cref="VisualWordsModel"/> by the prefix rules of
/// <see cref="PrefixRenames"/>, strictly. The one documented exception is the CLIP tower: LISA saves
/// without it, so when <c>model.vision_tower.vision_tower.*</c> is absent the tower is read from the
/// Hugging Face CLIP folder that <c>mm_vision_tower</c> names (see <see cref="FindVisionTowerFolder"/>).
/// </summary>
public static class LisaCheckpoint
{
    /// <summary>LLaVA nests HF's CLIPVisionModel inside its CLIPVisionTower wrapper, both named vision_tower.</summary>
    public const string VisionTowerPrefix = "model.vision_tower.vision_tower.";

    /// <summary>LISA key prefix → our key prefix, first match wins (LLaMA's own "model." last).</summary>
    public static IReadOnlyList<(string From, string To)> PrefixRenames { get; } =
    [
        ("model.visual_model.", "visual_model."),
        ("model.text_hidden_fcs.", "text_hidden_fcs."),
        ("model.mm_projector.", "projector.mm_projector."),
        (VisionTowerPrefix, "vision_tower."),
        ("model.", "llm.model."),
        ("lm_head.", "llm.lm_head."),
    ];

    public static bool IsLisaFolder(string dir) => Directory.Exists(dir) && LisaConfig.IsLisaFolder(dir);

    public static VisualWordsModel Load(string folder, string? visionTowerFolder = null) => LoadWithReport(folder, visionTowerFolder).Model;

    /// <param name="visionTowerFolder">The HF CLIP folder to use when the checkpoint has no tower weights (default: found from mm_vision_tower).</param>
    public static LisaLoad LoadWithReport(string folder, string? visionTowerFolder = null)
    {
        if (!Directory.Exists(folder)) throw new BadInputException($"LISA folder not found: {folder}");
        var tensors = Checkpoint.Inspect(folder).Tensors;
        var config = LisaConfig.Load(folder) with { Sam = SamFromShapes(tensors, folder) };
        bool towerInside = tensors.Any(t => t.Name.StartsWith(VisionTowerPrefix, StringComparison.Ordinal));
        var towerFolder = towerInside ? null : FindVisionTowerFolder(folder, config.VisionTower, visionTowerFolder);
        var tokenizer = LoadTokenizer(folder, config);
        var model = new VisualWordsModel(config.ToModelConfig(VisionTowerName(config, towerFolder)), tokenizer);
        try
        {
            var streamed = StateDictLoader.StreamInto(model, folder, new LoadOptions { Strict = false, PrefixRenames = PrefixRenames }, IsDerived);
            var report = streamed;
            if (towerFolder is not null)
            {
                using var clip = Checkpoint.Load(towerFolder);
                ((ClipVisionModel)model.vision_tower).Load(clip); // strict over vision_model.*
                report = streamed with { Missing = streamed.Missing.Where(k => !k.StartsWith("vision_tower.", StringComparison.Ordinal)).ToList() };
            }
            if (!report.IsClean)
                throw new BadInputException($"{folder}: checkpoint does not match LISA's layout: {report}");
            model.eval();
            return new LisaLoad(model, report, towerFolder);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Keys a checkpoint may carry that we compute: RoPE tables (older transformers), CLIP's position_ids.</summary>
    public static bool IsDerived(string key) =>
        LlamaCheckpoint.IsDerived(key) || key.EndsWith("vision_model.embeddings.position_ids", StringComparison.Ordinal);

    /// <summary>
    /// LISA always builds ViT-H, but the weights decide: the SAM registry entry whose ViT has the
    /// checkpoint's width, depth and grid (tiny test checkpoints use a tiny SAM).
    /// </summary>
    public static string SamFromShapes(IReadOnlyList<TensorInfo> tensors, string what)
    {
        const string encoder = "model.visual_model.image_encoder.";
        var pos = tensors.FirstOrDefault(t => t.Name == encoder + "pos_embed")
            ?? throw new BadInputException($"{what}: no {encoder}pos_embed (a LISA checkpoint holds SAM under model.visual_model.)");
        if (pos.Shape.Length != 4) throw new BadInputException($"{what}: {pos.Name} is {pos.ShapeText}, expected [1, g, g, C]");
        int depth = tensors.Select(t => t.Name).Where(n => n.StartsWith(encoder + "blocks.", StringComparison.Ordinal))
            .Select(n => n[(encoder.Length + "blocks.".Length)..].Split('.')[0]).Distinct().Count();
        var hit = SamModelConfig.Registry.Values.FirstOrDefault(c =>
            c.Vit is { } v && v.EmbedDim == pos.Shape[3] && v.Depth == depth && v.GridSize == pos.Shape[1]);
        return hit?.Name ?? throw new BadInputException(
            $"{what}: SAM image encoder of width {pos.Shape[3]}, {depth} blocks, {pos.Shape[1]}x{pos.Shape[2]} grid matches none of {string.Join(", ", SamModelConfig.Registry.Keys)}");
    }

    /// <summary>
    /// The CLIP folder for a checkpoint saved without its tower: the explicit one, else
    /// <c>mm_vision_tower</c> read as a path (absolute or relative to the working directory, as
    /// <c>from_pretrained</c> does), next to the LISA folder (a models directory holding both), or inside it.
    /// </summary>
    public static string FindVisionTowerFolder(string lisaFolder, string towerId, string? explicitFolder)
    {
        if (explicitFolder is not null)
            return Directory.Exists(explicitFolder) ? explicitFolder : throw new BadInputException($"vision tower folder not found: {explicitFolder}");
        var full = Path.GetFullPath(lisaFolder);
        var candidates = new[] { towerId, Path.Combine(Path.GetDirectoryName(full.TrimEnd('/')) ?? full, towerId), Path.Combine(full, towerId) };
        return candidates.FirstOrDefault(Directory.Exists) ?? throw new BadInputException(
            $"{lisaFolder}: the checkpoint has no vision tower weights (LISA saves without them) and the CLIP folder '{towerId}' " +
            $"was not found at {string.Join(", ", candidates.Distinct())}; put the Hugging Face CLIP folder there");
    }

    /// <summary>
    /// Our vision tower registry name: from the CLIP folder's config.json (CLIPVisionConfig, or a
    /// CLIPConfig's vision_config) when there is one, else from the last part of <c>mm_vision_tower</c>.
    /// </summary>
    public static string VisionTowerName(LisaConfig config, string? towerFolder)
    {
        var configPath = towerFolder is null ? null : Path.Combine(towerFolder, "config.json");
        if (configPath is not null && File.Exists(configPath))
        {
            var wanted = ReadClipConfig(configPath, config.VisionSelectLayer);
            return VisionTowers.Configs.FirstOrDefault(kv => kv.Value == wanted).Key ?? throw new BadInputException(
                $"{configPath}: no vision tower of that size is known ({wanted}); known: {string.Join(", ", VisionTowers.Configs.Keys)}");
        }
        var name = config.VisionTower.TrimEnd('/').Split('/')[^1];
        return VisionTowers.Configs.ContainsKey(name) ? name : throw new BadInputException(
            $"vision tower '{config.VisionTower}' is not known by name; known: {string.Join(", ", VisionTowers.Configs.Keys)}");
    }

    static ClipVisionConfig ReadClipConfig(string path, int selectLayer)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var e = doc.RootElement.TryGetProperty("vision_config", out var vc) ? vc : doc.RootElement;
            int Int(string key) => e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32()
                : throw new BadInputException($"{path}: '{key}' is missing (not a Hugging Face CLIP config?)");
            var act = e.TryGetProperty("hidden_act", out var a) ? a.GetString() : "quick_gelu";
            if (act != "quick_gelu") throw new BadInputException($"{path}: hidden_act '{act}' is not supported (OpenAI CLIP uses quick_gelu)");
            double eps = e.TryGetProperty("layer_norm_eps", out var le) && le.ValueKind == JsonValueKind.Number ? le.GetDouble() : 1e-5;
            return new ClipVisionConfig(Int("image_size"), Int("patch_size"), Int("hidden_size"), Int("num_hidden_layers"),
                Int("num_attention_heads"), Int("intermediate_size"), FeatureLayer: selectLayer, LayerNormEps: eps);
        }
        catch (JsonException ex)
        {
            throw new BadInputException($"{path}: not valid JSON ({ex.Message})");
        }
    }

    /// <summary>
    /// tokenizer.model plus the tokens LISA added, at the ids the folder records (added_tokens.json,
    /// or tokenizer_config.json's added_tokens_decoder in newer transformers).
    /// </summary>
    public static TextTokenizer LoadTokenizer(string folder, LisaConfig config)
    {
        var baseTokenizer = LlamaTextTokenizer.Load(folder);
        return AddLisaTokens(baseTokenizer, ReadAddedTokens(folder, baseTokenizer.BaseVocabSize), config.ImageStartEnd);
    }

    /// <summary>
    /// Adds <paramref name="added"/> in id order, checking each lands on its recorded id ([SEG] strips
    /// whitespace as LISA's <c>add_tokens</c> does), then &lt;image&gt; last: a placeholder the packer
    /// replaces, so LISA's matrices have no row for it.
    /// </summary>
    public static TextTokenizer AddLisaTokens(TextTokenizer tokenizer, IEnumerable<(string Token, int Id)> added, bool imageStartEnd)
    {
        foreach (var (token, id) in added.OrderBy(a => a.Id))
        {
            int got = tokenizer.AddSpecialToken(token, stripWhitespace: token == SpecialTokens.Seg);
            if (got != id)
                throw new BadInputException($"added token '{token}' has id {id}, but added tokens must follow the {tokenizer.BaseVocabSize}-piece vocabulary without gaps (it would get {got})");
        }
        if (tokenizer.TryIdOf(SpecialTokens.Seg) is null)
            throw new BadInputException("the tokenizer has no [SEG] token (LISA adds it with tokenizer.add_tokens(\"[SEG]\"))");
        if (imageStartEnd && (tokenizer.TryIdOf(SpecialTokens.ImageStart) is null || tokenizer.TryIdOf(SpecialTokens.ImageEnd) is null))
            throw new BadInputException("mm_use_im_start_end is set but the tokenizer has no <im_start>/<im_end> tokens");
        tokenizer.AddSpecialToken(SpecialTokens.Image);
        return tokenizer;
    }

    static List<(string Token, int Id)> ReadAddedTokens(string folder, int baseVocab)
    {
        var addedPath = Path.Combine(folder, "added_tokens.json");
        var configPath = Path.Combine(folder, "tokenizer_config.json");
        try
        {
            if (File.Exists(addedPath))
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(addedPath));
                return doc.RootElement.EnumerateObject().Select(p => (p.Name, p.Value.GetInt32())).ToList();
            }
            if (File.Exists(configPath))
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
                if (doc.RootElement.TryGetProperty("added_tokens_decoder", out var dec))
                    return dec.EnumerateObject().Select(p => (p.Value.GetProperty("content").GetString()!, int.Parse(p.Name)))
                        .Where(t => t.Item2 >= baseVocab).ToList();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new BadInputException($"{folder}: cannot read the added tokens ({e.Message})");
        }
        throw new BadInputException($"{folder}: no added_tokens.json (or tokenizer_config.json added_tokens_decoder): the [SEG] token's id is unknown");
    }
}
