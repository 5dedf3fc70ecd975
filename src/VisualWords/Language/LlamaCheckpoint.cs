using VisualWords.Checkpoints;
using static TorchSharp.torch;

namespace VisualWords.Language;

/// <summary>
/// Loads Hugging Face LLaMA folders (config.json + model.safetensors[.index.json] or
/// pytorch_model[-*].bin[.index.json]) into <see cref="LlamaForCausalLM"/>. Weights stream into
/// the already-built model in groups of up to 256 MB of safetensors tensors or one .bin shard at a time, so a 7B model
/// never needs a second full copy in memory.
/// </summary>
public static class LlamaCheckpoint
{
    /// <summary>Builds the model from <c>config.json</c> in <paramref name="folder"/> and loads its weights.</summary>
    /// <param name="dtype">Compute dtype: float32 or bfloat16 (stored fp16/bf16/fp32 weights are cast).</param>
    public static LlamaForCausalLM Load(string folder, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new BadInputException($"LLaMA dtype must be float32 or bfloat16 (got {dtype})");
        var config = LlamaConfig.FromJsonFile(folder);
        var model = new LlamaForCausalLM(config, device, dtype, initialize: false);
        try
        {
            LoadWeights(model, folder, new LoadOptions());
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Streams weights from a checkpoint (file, index or folder) into <paramref name="model"/>,
    /// applying <paramref name="options"/> renames and filters. Strict mode fails on any missing,
    /// unexpected or mis-shaped key after all shards were read; a tied lm_head may be absent.
    /// </summary>
    public static LoadReport LoadWeights(LlamaForCausalLM model, string path, LoadOptions options)
    {
        // Older HF checkpoints (Llama-2-7b-hf .bin, Vicuna) store the RoPE table as a buffer; we derive it from the config.
        var streamed = StateDictLoader.StreamInto(model, path, options, IsDerived);
        var have = new HashSet<string>(streamed.Loaded, StringComparer.Ordinal);
        var report = streamed with
        {
            Missing = streamed.Missing
                .Where(k => !(model.Config.TieWordEmbeddings && k == "lm_head.weight" && have.Contains("model.embed_tokens.weight")))
                .ToList(),
        };
        if (options.Strict && !report.IsClean)
            throw new BadInputException($"{path}: checkpoint does not match the LLaMA model: {report}");
        return report;
    }

    /// <summary>Keys a checkpoint may carry that we compute instead of load.</summary>
    public static bool IsDerived(string key) => key.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal);
}
