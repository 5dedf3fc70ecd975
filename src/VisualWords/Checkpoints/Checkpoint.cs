using System.Text.Json;
using static TorchSharp.torch;

namespace VisualWords.Checkpoints;

/// <summary>The checkpoint formats we recognise.</summary>
public enum CheckpointFormat { Safetensors, ShardedSafetensors, TorchZip, ShardedTorchZip }

/// <summary>Summary of a checkpoint without its tensor data.</summary>
public sealed record CheckpointSummary(string Path, CheckpointFormat Format, IReadOnlyList<string> Files, IReadOnlyList<TensorInfo> Tensors)
{
    public long ParameterCount => Tensors.Sum(t => t.Numel);
}

/// <summary>
/// One entry point for every checkpoint we read: a <c>.safetensors</c> file, a sharded
/// <c>*.index.json</c> (safetensors or PyTorch shards), a PyTorch zip file (<c>.pth/.pt/.bin</c>) or a
/// Hugging Face folder holding one of those. PyTorch pickles go through the restricted unpickler.
/// </summary>
public static class Checkpoint
{
    static readonly string[] HfCandidates =
    {
        "model.safetensors.index.json", "model.safetensors", "pytorch_model.bin.index.json", "pytorch_model.bin",
    };

    public static StateDict Load(string path)
    {
        var (format, files) = Resolve(path);
        var sd = new StateDict();
        try
        {
            foreach (var f in files)
            {
                if (format is CheckpointFormat.Safetensors or CheckpointFormat.ShardedSafetensors)
                    SafetensorsFile.LoadInto(f, sd);
                else
                {
                    using var shard = TorchZipCheckpoint.Load(f);
                    foreach (var k in shard.Keys.ToList()) sd.Add(k, shard.Remove(k));
                }
            }
            return sd;
        }
        catch
        {
            sd.Dispose();
            throw;
        }
    }

    public static CheckpointSummary Inspect(string path)
    {
        var (format, files) = Resolve(path);
        var infos = new List<TensorInfo>();
        foreach (var f in files)
            infos.AddRange(format is CheckpointFormat.Safetensors or CheckpointFormat.ShardedSafetensors
                ? SafetensorsFile.Inspect(f) : TorchZipCheckpoint.Inspect(f));
        return new CheckpointSummary(path, format, files, infos);
    }

    public static void SaveSafetensors(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
        => SafetensorsFile.Save(path, tensors, metadata);

    /// <summary>Works out the format and the list of files to read, with clear errors.</summary>
    public static (CheckpointFormat Format, IReadOnlyList<string> Files) Resolve(string path)
    {
        if (Directory.Exists(path))
        {
            var hit = HfCandidates.Select(c => Path.Combine(path, c)).FirstOrDefault(File.Exists)
                ?? throw new BadInputException($"{path}: folder has none of {string.Join(", ", HfCandidates)}");
            return Resolve(hit);
        }
        if (!File.Exists(path)) throw new BadInputException($"checkpoint not found: {path}");
        var name = Path.GetFileName(path);
        if (name.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase)) return ResolveIndex(path);
        if (SafetensorsFile.LooksLikeSafetensors(path)) return (CheckpointFormat.Safetensors, [path]);
        if (TorchZipCheckpoint.LooksLikeZip(path)) return (CheckpointFormat.TorchZip, [path]);
        if (name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            using var f = File.OpenRead(path);
            SafetensorsFile.ReadHeader(f, name); // throws the precise reason
        }
        if (LooksLikeLegacyTorch(path))
            throw new BadInputException($"{name}: legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with a current torch.save");
        throw new BadInputException($"{name}: not a checkpoint we can read (expected safetensors, a PyTorch zip .pth/.bin, or an *.index.json)");
    }

    static bool LooksLikeLegacyTorch(string path)
    {
        using var f = File.OpenRead(path);
        return f.Length > 2 && f.ReadByte() == 0x80 && f.ReadByte() is >= 2 and <= 5;
    }

    static (CheckpointFormat, IReadOnlyList<string>) ResolveIndex(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        List<string> shards;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            shards = doc.RootElement.GetProperty("weight_map").EnumerateObject()
                .Select(p => p.Value.GetString() ?? "").Distinct().OrderBy(s => s, StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new BadInputException($"{Path.GetFileName(path)}: not a valid sharded checkpoint index ({e.Message})");
        }
        var files = new List<string>();
        foreach (var s in shards)
        {
            if (s.Length == 0 || s.Contains('/') || s.Contains('\\') || s.Contains(".."))
                throw new BadInputException($"{Path.GetFileName(path)}: shard name '{s}' is not a plain file name");
            var f = Path.Combine(dir, s);
            if (!File.Exists(f)) throw new BadInputException($"{Path.GetFileName(path)}: shard '{s}' is missing");
            files.Add(f);
        }
        bool safetensors = files.All(SafetensorsFile.LooksLikeSafetensors);
        return (safetensors ? CheckpointFormat.ShardedSafetensors : CheckpointFormat.ShardedTorchZip, files);
    }
}
