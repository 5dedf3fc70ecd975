using VisualWords.Checkpoints;
using static TorchSharp.torch;

namespace VisualWords.Language;

/// <summary>
/// Loads Hugging Face LLaMA folders (config.json + model.safetensors[.index.json] or
/// pytorch_model[-*].bin[.index.json]) into <see cref="LlamaForCausalLM"/>. Weights stream into
/// the already-built model one safetensors tensor or one .bin shard at a time, so a 7B model
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
        var (format, files) = Checkpoint.Resolve(path);
        // Older HF checkpoints (Llama-2-7b-hf .bin, Vicuna) store the RoPE table as a buffer; we derive it from the config.
        var perPiece = options with { Strict = false };
        var loaded = new List<string>();
        var unexpected = new List<string>();
        var shapes = new List<string>();
        var dtypes = new List<string>();
        void Merge(LoadReport r)
        {
            loaded.AddRange(r.Loaded); unexpected.AddRange(r.Unexpected);
            shapes.AddRange(r.ShapeMismatches); dtypes.AddRange(r.DtypeMismatches);
        }

        foreach (var file in files)
        {
            if (format is CheckpointFormat.Safetensors or CheckpointFormat.ShardedSafetensors)
            {
                foreach (var info in SafetensorsFile.Inspect(file).Where(i => !IsDerived(i.Name)))
                {
                    using var one = new StateDict();
                    SafetensorsFile.LoadInto(file, one, name => name == info.Name);
                    Merge(StateDictLoader.LoadInto(model, one, perPiece));
                }
            }
            else
            {
                using var shard = Checkpoint.Load(file);
                foreach (var k in shard.Keys.Where(IsDerived).ToList()) shard.Remove(k).Dispose();
                Merge(StateDictLoader.LoadInto(model, shard, perPiece));
            }
        }

        var have = new HashSet<string>(loaded, StringComparer.Ordinal);
        var missing = model.state_dict().Keys.Where(k => !have.Contains(k))
            .Where(k => !(model.Config.TieWordEmbeddings && k == "lm_head.weight" && have.Contains("model.embed_tokens.weight")))
            .Where(k => options.OnlyPrefixes.Count == 0 || options.OnlyPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal)))
            .ToList();
        var report = new LoadReport(loaded, missing, unexpected, shapes, dtypes);
        if (options.Strict && !report.IsClean)
            throw new BadInputException($"{path}: checkpoint does not match the LLaMA model: {report}");
        return report;
    }

    /// <summary>Keys a checkpoint may carry that we compute instead of load.</summary>
    public static bool IsDerived(string key) => key.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal);
}
