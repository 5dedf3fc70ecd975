using System.Text.Json;
using System.Text.Json.Nodes;

namespace VisualWords.Language;

/// <summary>How RoPE frequencies are stretched for contexts longer than training (HF <c>rope_scaling</c>).</summary>
/// <param name="Type">"linear" (positions / factor) or "llama3" (Meta's per-wavelength blend).</param>
/// <param name="Factor">Context stretch factor.</param>
/// <param name="LowFreqFactor">llama3 only: wavelengths above original/low are fully scaled.</param>
/// <param name="HighFreqFactor">llama3 only: wavelengths below original/high are kept.</param>
/// <param name="OriginalMaxPositionEmbeddings">llama3 only: the training context length.</param>
public sealed record RopeScaling(string Type, double Factor, double LowFreqFactor = 1.0,
    double HighFreqFactor = 4.0, int OriginalMaxPositionEmbeddings = 8192);

/// <summary>
/// Hyper-parameters of a LLaMA decoder, named after Hugging Face <c>LlamaConfig</c> (config.json).
/// </summary>
public sealed record LlamaConfig
{
    public int VocabSize { get; init; } = 32000;
    public int HiddenSize { get; init; } = 4096;
    public int IntermediateSize { get; init; } = 11008;
    public int NumHiddenLayers { get; init; } = 32;
    public int NumAttentionHeads { get; init; } = 32;
    /// <summary>Key/value heads; fewer than attention heads means grouped-query attention.</summary>
    public int NumKeyValueHeads { get; init; } = 32;
    public double RmsNormEps { get; init; } = 1e-5;
    public double RopeTheta { get; init; } = 10000.0;
    public RopeScaling? RopeScaling { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 4096;
    public bool TieWordEmbeddings { get; init; }
    public int BosTokenId { get; init; } = 1;
    public int EosTokenId { get; init; } = 2;
    /// <summary>Stored dtype named in config.json ("float32", "bfloat16", "float16").</summary>
    public string TorchDtype { get; init; } = "float32";

    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>Meta's Llama-2-7B (meta-llama/Llama-2-7b-hf config.json).</summary>
    public static LlamaConfig Llama2_7B => new() { MaxPositionEmbeddings = 4096, TorchDtype = "float16" };

    /// <summary>Vicuna-7B v1.1 (the LLaVA / LISA-7B base): LLaMA-7B shapes, 2048 context.</summary>
    public static LlamaConfig Vicuna7B => new() { MaxPositionEmbeddings = 2048, RmsNormEps = 1e-6, TorchDtype = "float16" };

    /// <summary>Registry of the full sizes this project knows by name.</summary>
    public static IReadOnlyDictionary<string, LlamaConfig> Registry { get; } = new Dictionary<string, LlamaConfig>
    {
        ["llama-2-7b"] = Llama2_7B,
        ["vicuna-7b"] = Vicuna7B,
    };

    /// <summary>Rejects shapes the model cannot be built with, naming the offending field.</summary>
    public LlamaConfig Validate()
    {
        void Positive(int v, string name) { if (v <= 0) throw new BadInputException($"llama config: {name} must be positive (got {v})"); }
        Positive(VocabSize, "vocab_size"); Positive(HiddenSize, "hidden_size"); Positive(IntermediateSize, "intermediate_size");
        Positive(NumHiddenLayers, "num_hidden_layers"); Positive(NumAttentionHeads, "num_attention_heads"); Positive(NumKeyValueHeads, "num_key_value_heads");
        if (HiddenSize % NumAttentionHeads != 0)
            throw new BadInputException($"llama config: hidden_size {HiddenSize} is not divisible by num_attention_heads {NumAttentionHeads}");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new BadInputException($"llama config: num_attention_heads {NumAttentionHeads} is not a multiple of num_key_value_heads {NumKeyValueHeads}");
        if (HeadDim % 2 != 0) throw new BadInputException($"llama config: head dim {HeadDim} must be even for RoPE");
        if (RopeScaling is { } s && s.Type is not ("linear" or "llama3"))
            throw new BadInputException($"llama config: rope_scaling type '{s.Type}' is not supported (linear, llama3)");
        return this;
    }

    /// <summary>Reads a Hugging Face config.json (a file, or a folder that holds one).</summary>
    public static LlamaConfig FromJsonFile(string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, "config.json");
        if (!File.Exists(path)) throw new BadInputException($"llama config not found: {path}");
        try { return FromJson(File.ReadAllText(path)); }
        catch (JsonException e) { throw new BadInputException($"llama config {path} is not valid JSON: {e.Message}", e); }
    }

    public static LlamaConfig FromJson(string json)
    {
        var o = JsonNode.Parse(json) as JsonObject ?? throw new BadInputException("llama config: top level must be a JSON object");
        int Int(string k, int d) => o[k] is JsonValue v ? v.GetValue<int>() : d;
        double Dbl(string k, double d) => o[k] is JsonValue v ? v.GetValue<double>() : d;
        var heads = Int("num_attention_heads", 32);
        RopeScaling? scaling = null;
        if (o["rope_scaling"] is JsonObject rs)
        {
            var type = (rs["rope_type"] ?? rs["type"])?.GetValue<string>() ?? "default";
            if (type != "default")
                scaling = new RopeScaling(type, rs["factor"]?.GetValue<double>() ?? 1.0,
                    rs["low_freq_factor"]?.GetValue<double>() ?? 1.0, rs["high_freq_factor"]?.GetValue<double>() ?? 4.0,
                    rs["original_max_position_embeddings"]?.GetValue<int>() ?? 8192);
        }
        // eos_token_id may be a list (Llama-3); the first is the generation stop token.
        var eos = o["eos_token_id"] switch { JsonArray a when a.Count > 0 => a[0]!.GetValue<int>(), JsonValue v => v.GetValue<int>(), _ => 2 };
        if (o["model_type"] is JsonValue mt && mt.GetValue<string>() is not ("llama" or "llava" or "llava_llama"))
            throw new BadInputException($"llama config: model_type '{mt.GetValue<string>()}' is not a LLaMA model");
        return new LlamaConfig
        {
            VocabSize = Int("vocab_size", 32000),
            HiddenSize = Int("hidden_size", 4096),
            IntermediateSize = Int("intermediate_size", 11008),
            NumHiddenLayers = Int("num_hidden_layers", 32),
            NumAttentionHeads = heads,
            NumKeyValueHeads = Int("num_key_value_heads", heads),
            RmsNormEps = Dbl("rms_norm_eps", 1e-6),
            RopeTheta = Dbl("rope_theta", 10000.0),
            RopeScaling = scaling,
            MaxPositionEmbeddings = Int("max_position_embeddings", 2048),
            TieWordEmbeddings = o["tie_word_embeddings"] is JsonValue t && t.GetValue<bool>(),
            BosTokenId = Int("bos_token_id", 1),
            EosTokenId = eos,
            TorchDtype = o["torch_dtype"] is JsonValue d ? d.GetValue<string>() : "float32",
        }.Validate();
    }
}
