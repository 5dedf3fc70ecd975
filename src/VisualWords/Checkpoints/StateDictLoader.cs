using TorchSharp;
using static TorchSharp.torch;

namespace VisualWords.Checkpoints;

/// <summary>How to match checkpoint keys to a module's parameter and buffer names.</summary>
public sealed record LoadOptions
{
    /// <summary>Fail (listing every problem) unless every key matches exactly once with the right shape.</summary>
    public bool Strict { get; init; } = true;

    /// <summary>Prefix rewrites applied to checkpoint keys in order, first match wins
    /// (e.g. ("model.visual_model.", "") to take LISA's SAM keys). A key no rule matches is kept.</summary>
    public IReadOnlyList<(string From, string To)> PrefixRenames { get; init; } = [];

    /// <summary>Keep only checkpoint keys that, after renaming, start with one of these (empty: all).</summary>
    public IReadOnlyList<string> OnlyPrefixes { get; init; } = [];

    /// <summary>Cast fp16/bf16 weights into the module's dtype (reported as dtype mismatches, not errors).</summary>
    public bool AllowDtypeCast { get; init; } = true;

    public string RenameKey(string key)
    {
        foreach (var (from, to) in PrefixRenames)
            if (key.StartsWith(from, StringComparison.Ordinal)) return to + key[from.Length..];
        return key;
    }
}

/// <summary>What happened when a state dict was loaded into a module.</summary>
public sealed record LoadReport(
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<string> ShapeMismatches,
    IReadOnlyList<string> DtypeMismatches)
{
    public bool IsClean => Missing.Count == 0 && Unexpected.Count == 0 && ShapeMismatches.Count == 0;

    public override string ToString()
    {
        var parts = new List<string> { $"{Loaded.Count} loaded" };
        void Add(string label, IReadOnlyList<string> items)
        {
            if (items.Count > 0) parts.Add($"{items.Count} {label}: {string.Join(", ", items)}");
        }
        Add("missing", Missing);
        Add("unexpected", Unexpected);
        Add("shape mismatches", ShapeMismatches);
        Add("dtype casts", DtypeMismatches);
        return string.Join("; ", parts);
    }
}

public static class StateDictLoader
{
    /// <summary>
    /// Copies tensors by name into the module's parameters and buffers. In strict mode any missing,
    /// unexpected or wrongly shaped key fails the whole load (nothing is partially reported).
    /// </summary>
    public static LoadReport LoadInto(nn.Module module, StateDict sd, LoadOptions? options = null)
    {
        options ??= new LoadOptions();
        var target = module.state_dict();
        var source = new Dictionary<string, (string Original, Tensor Tensor)>(StringComparer.Ordinal);
        var unexpected = new List<string>();
        foreach (var (key, t) in sd)
        {
            var name = options.RenameKey(key);
            if (options.OnlyPrefixes.Count > 0 && !options.OnlyPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal))) continue;
            if (target.ContainsKey(name) && !source.ContainsKey(name)) source[name] = (key, t);
            else unexpected.Add(key == name ? key : $"{key} (as {name})");
        }
        var missing = target.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var shape = new List<string>();
        var dtype = new List<string>();
        foreach (var (name, (orig, t)) in source)
        {
            var dst = target[name];
            if (!dst.shape.SequenceEqual(t.shape))
                shape.Add($"{name}: checkpoint [{string.Join(", ", t.shape)}] vs model [{string.Join(", ", dst.shape)}]");
            else if (dst.dtype != t.dtype)
                dtype.Add($"{name}: {DTypes.ShortName(t.dtype)} -> {DTypes.ShortName(dst.dtype)}");
        }
        var report = new LoadReport(source.Keys.ToList(), missing, unexpected, shape, dtype);
        if (options.Strict && !report.IsClean)
            throw new BadInputException($"checkpoint does not match the model: {report}");
        if (!options.AllowDtypeCast && dtype.Count > 0)
            throw new BadInputException($"checkpoint dtypes differ from the model's: {string.Join(", ", dtype)}");
        using (no_grad())
        {
            foreach (var (name, (_, t)) in source)
            {
                var dst = target[name];
                if (dst.shape.SequenceEqual(t.shape)) dst.copy_(t);
            }
        }
        return report;
    }

    /// <summary>Largest group of safetensors tensors <see cref="StreamInto"/> holds in memory at once.</summary>
    public const long StreamBytes = 256L << 20;

    /// <summary>
    /// Loads a checkpoint (file, index or folder) piece by piece: up to <see cref="StreamBytes"/> of safetensors tensors or one
    /// PyTorch shard at a time, so a 7B model never needs a second full copy in memory. Keys for
    /// which <paramref name="skip"/> says true (checked before renaming) are never read. Missing
    /// keys are those of the whole module (within <see cref="LoadOptions.OnlyPrefixes"/>) that no
    /// piece supplied. Never throws for a mismatch: the caller judges the report.
    /// </summary>
    public static LoadReport StreamInto(nn.Module module, string path, LoadOptions options, Func<string, bool>? skip = null)
    {
        skip ??= _ => false;
        var (format, files) = Checkpoint.Resolve(path);
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
                // Groups of up to StreamBytes: bounded memory, and few passes over the module's state dict.
                var group = new HashSet<string>(StringComparer.Ordinal);
                long bytes = 0;
                void Flush()
                {
                    if (group.Count == 0) return;
                    using var piece = new StateDict();
                    SafetensorsFile.LoadInto(file, piece, group.Contains);
                    Merge(LoadInto(module, piece, perPiece));
                    group.Clear();
                    bytes = 0;
                }
                foreach (var info in SafetensorsFile.Inspect(file).Where(i => !skip(i.Name)))
                {
                    long size = info.Numel * DTypes.ElementSize(info.DType);
                    if (bytes + size > StreamBytes) Flush();
                    group.Add(info.Name);
                    bytes += size;
                }
                Flush();
            }
            else
            {
                using var shard = Checkpoint.Load(file);
                foreach (var k in shard.Keys.Where(skip).ToList()) shard.Remove(k).Dispose();
                Merge(LoadInto(module, shard, perPiece));
            }
        }

        var have = new HashSet<string>(loaded, StringComparer.Ordinal);
        var missing = module.state_dict().Keys.Where(k => !have.Contains(k))
            .Where(k => options.OnlyPrefixes.Count == 0 || options.OnlyPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal)))
            .ToList();
        return new LoadReport(loaded, missing, unexpected, shapes, dtypes);
    }
}
