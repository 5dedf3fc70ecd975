using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using VisualWords.Checkpoints;
using static TorchSharp.torch;

namespace VisualWords.Language;

/// <summary>LoRA settings; defaults are LISA's (r 8, α 16, dropout 0.05 on q_proj and v_proj).</summary>
public sealed record LoraConfig
{
    public int Rank { get; init; } = 8;
    public double Alpha { get; init; } = 16;
    public double Dropout { get; init; } = 0.05;
    /// <summary>Last name component of the projections that get adapters (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj).</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = ["q_proj", "v_proj"];
}

/// <summary>
/// Adds, merges, saves and loads LoRA adapters on the <see cref="LoraLinear"/> projections of a model.
/// Saved adapters use PEFT's layout: <c>adapter_config.json</c> + <c>adapter_model.safetensors</c>
/// with keys <c>base_model.model.&lt;module path&gt;.lora_A.weight</c> / <c>lora_B.weight</c>.
/// </summary>
public static class Lora
{
    public const string PeftPrefix = "base_model.model.";
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>Every adaptable projection under <paramref name="root"/> with its dotted path.</summary>
    public static IEnumerable<(string Path, LoraLinear Layer)> Projections(nn.Module root) =>
        root.named_modules().Where(m => m.module is LoraLinear).Select(m => (m.name, (LoraLinear)m.module));

    /// <summary>Adds adapters to the targeted projections; returns their paths. Fails if none matched.</summary>
    public static IReadOnlyList<string> Apply(nn.Module root, LoraConfig config)
    {
        var targets = config.TargetModules.ToHashSet(StringComparer.Ordinal);
        var hits = Projections(root).Where(p => targets.Contains(p.Path.Split('.')[^1])).ToList();
        if (hits.Count == 0)
            throw new BadInputException($"LoRA target modules [{string.Join(", ", config.TargetModules)}] match no projection of the model");
        foreach (var (_, layer) in hits) layer.AddAdapter(config.Rank, config.Alpha, config.Dropout);
        return hits.Select(h => h.Path).ToList();
    }

    /// <summary>Freezes every parameter except the adapters (LISA unfreezes more afterwards: new-token rows, heads).</summary>
    public static void TrainOnlyAdapters(nn.Module root)
    {
        foreach (var (name, p) in root.named_parameters())
            p.requires_grad = name.Contains(".lora_A.") || name.Contains(".lora_B.");
    }

    public static void Merge(nn.Module root) { foreach (var (_, l) in Projections(root)) l.Merge(); }
    public static void Unmerge(nn.Module root) { foreach (var (_, l) in Projections(root)) l.Unmerge(); }

    /// <summary>Adapter tensors under PEFT names.</summary>
    public static List<KeyValuePair<string, Tensor>> AdapterState(nn.Module root) =>
        root.state_dict().Where(kv => kv.Key.Contains(".lora_A.") || kv.Key.Contains(".lora_B."))
            .Select(kv => new KeyValuePair<string, Tensor>(PeftPrefix + kv.Key, kv.Value)).ToList();

    /// <summary>Writes <c>adapter_config.json</c> and <c>adapter_model.safetensors</c> into <paramref name="folder"/>.</summary>
    public static void Save(nn.Module root, LoraConfig config, string folder)
    {
        var state = AdapterState(root);
        if (state.Count == 0) throw new BadInputException("the model has no LoRA adapters to save");
        if (Projections(root).Any(p => p.Layer.IsMerged))
            throw new BadInputException("unmerge the LoRA adapters before saving them (merged weights would be counted twice on load)");
        Directory.CreateDirectory(folder);
        Checkpoint.SaveSafetensors(Path.Combine(folder, WeightsFile), state, new Dictionary<string, string> { ["format"] = "pt" });
        var json = new JsonObject
        {
            ["peft_type"] = "LORA", ["task_type"] = "CAUSAL_LM", ["r"] = config.Rank, ["lora_alpha"] = config.Alpha,
            ["lora_dropout"] = config.Dropout, ["bias"] = "none", ["fan_in_fan_out"] = false, ["inference_mode"] = true,
            ["target_modules"] = new JsonArray(config.TargetModules.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
        };
        var tmp = Path.Combine(folder, ConfigFile + ".tmp");
        File.WriteAllText(tmp, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, Path.Combine(folder, ConfigFile), overwrite: true);
    }

    /// <summary>Reads a PEFT adapter folder's settings.</summary>
    public static LoraConfig ReadConfig(string folder)
    {
        var path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path)) throw new BadInputException($"LoRA adapter folder {folder} has no {ConfigFile}");
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new BadInputException($"{path}: not a JSON object");
            if (o["peft_type"]?.GetValue<string>() is { } t && t != "LORA") throw new BadInputException($"{path}: peft_type {t} is not LORA");
            var targets = o["target_modules"] switch
            {
                JsonArray a => a.Select(x => x!.GetValue<string>()).ToList(),
                JsonValue v => [v.GetValue<string>()],
                _ => throw new BadInputException($"{path}: target_modules missing"),
            };
            return new LoraConfig
            {
                Rank = o["r"]?.GetValue<int>() ?? 8, Alpha = o["lora_alpha"]?.GetValue<double>() ?? 8,
                Dropout = o["lora_dropout"]?.GetValue<double>() ?? 0, TargetModules = targets,
            };
        }
        catch (JsonException e) { throw new BadInputException($"{path}: invalid JSON ({e.Message})", e); }
    }

    /// <summary>
    /// Adds adapters as the folder's config says (unless the model already has them) and loads the
    /// adapter weights; every adapter key must match. Returns the config.
    /// </summary>
    public static LoraConfig Load(nn.Module root, string folder)
    {
        var config = ReadConfig(folder);
        if (!Projections(root).Any(p => p.Layer.HasAdapter)) Apply(root, config);
        var weights = new[] { WeightsFile, "adapter_model.bin" }.Select(f => Path.Combine(folder, f)).FirstOrDefault(File.Exists)
            ?? throw new BadInputException($"LoRA adapter folder {folder} has no {WeightsFile} or adapter_model.bin");
        using var sd = Checkpoint.Load(weights);
        var target = root.state_dict();
        var adapterKeys = target.Keys.Where(k => k.Contains(".lora_A.") || k.Contains(".lora_B.")).ToHashSet();
        var seen = new HashSet<string>();
        var problems = new List<string>();
        using (no_grad())
        {
            foreach (var (key, t) in sd)
            {
                // PEFT writes "base_model.model.<path>"; some tools keep the adapter name ("lora_A.default.weight").
                var name = (key.StartsWith(PeftPrefix, StringComparison.Ordinal) ? key[PeftPrefix.Length..] : key).Replace(".default.", ".");
                if (!adapterKeys.Contains(name)) { problems.Add($"unexpected {key}"); continue; }
                if (!target[name].shape.SequenceEqual(t.shape))
                { problems.Add($"{key}: [{string.Join(", ", t.shape)}] vs model [{string.Join(", ", target[name].shape)}]"); continue; }
                target[name].copy_(t);
                seen.Add(name);
            }
        }
        problems.AddRange(adapterKeys.Except(seen).Select(k => $"missing {PeftPrefix}{k}"));
        if (problems.Count > 0) throw new BadInputException($"LoRA adapter {folder} does not match the model: {string.Join("; ", problems)}");
        return config;
    }
}
