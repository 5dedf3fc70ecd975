using System.IO.Compression;
using static TorchSharp.torch;

namespace VisualWords.Checkpoints;

/// <summary>
/// PyTorch's zip checkpoint format (torch.save since 1.6): <c>PREFIX/data.pkl</c> is a pickle whose
/// tensors refer, through persistent ids <c>('storage', StorageType, key, location, numel)</c>, to raw
/// little-endian storages at <c>PREFIX/data/KEY</c>. Tensors are rebuilt by
/// <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)</c>. Only those globals
/// (and plain containers) are accepted; see <see cref="SafePickle"/>.
/// </summary>
public static class TorchZipCheckpoint
{
    /// <summary>A tensor the pickle described; its data is still in the zip.</summary>
    internal sealed record TensorRef(StorageRef Storage, long Offset, long[] Shape, long[] Stride);

    internal sealed record StorageRef(string Key, ScalarType DType, long Numel);

    sealed record StorageType(ScalarType DType);

    public static bool LooksLikeZip(string path)
    {
        using var f = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return f.Read(magic) == 4 && magic[0] == (byte)'P' && magic[1] == (byte)'K' && magic[2] == 3 && magic[3] == 4;
    }

    /// <summary>Reads the pickle and returns the top-level object with tensors left as references.</summary>
    static (ZipArchive Zip, string Prefix, object? Root) Open(string path)
    {
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new BadInputException($"{Path.GetFileName(path)}: not a readable PyTorch zip checkpoint (truncated or corrupt: {e.Message})");
        }
        try
        {
            var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)
                ?? throw new BadInputException($"{Path.GetFileName(path)}: zip file has no <name>/data.pkl, so it is not a PyTorch checkpoint");
            string prefix = pkl.FullName[..^"data.pkl".Length];
            var bo = zip.GetEntry(prefix + "byteorder");
            if (bo != null)
            {
                using var r = new StreamReader(bo.Open());
                if (r.ReadToEnd().Trim() != "little") throw new BadInputException($"{Path.GetFileName(path)}: big-endian checkpoints are not supported");
            }
            using var ps = new MemoryStream();
            using (var s = pkl.Open()) s.CopyTo(ps);
            ps.Position = 0;
            var root = SafePickle.Load(ps, Resolve, PersistentLoad);
            return (zip, prefix, root);
        }
        catch (InvalidDataException e)
        {
            zip.Dispose();
            throw new BadInputException($"{Path.GetFileName(path)}: corrupt zip entry ({e.Message})");
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    static SafePickle.GlobalFunction? Resolve(PickleGlobal g)
    {
        if (SafePickle.PlainGlobals(g) is { } plain) return plain;
        if (g.Module == "torch" && DTypes.FromTorchStorage(g.Name) is { } dt)
            return _ => new StorageType(dt);
        return (g.Module, g.Name) switch
        {
            ("torch._utils", "_rebuild_tensor_v2") => RebuildTensor,
            ("torch._utils", "_rebuild_tensor") => RebuildTensor,
            ("torch._utils", "_rebuild_parameter") => args => args.Length > 0 && args[0] is TensorRef t ? t
                : throw new BadInputException("pickle: _rebuild_parameter without a tensor"),
            ("torch._utils", "_rebuild_parameter_with_state") => args => args.Length > 0 && args[0] is TensorRef t ? t
                : throw new BadInputException("pickle: _rebuild_parameter_with_state without a tensor"),
            _ => null,
        };
    }

    static object? PersistentLoad(object? pid)
    {
        // t[1] is the storage class itself (GLOBAL torch.FloatStorage etc.), not an instance.
        if (pid is object?[] { Length: 5 } t && t[0] is "storage" && t[1] is SafePickle.GlobalFunction type
            && type([]) is StorageType st && t[2] is string key && t[4] is long numel)
            return new StorageRef(key, st.DType, numel);
        throw new BadInputException("pickle: unsupported persistent id (expected a torch storage)");
    }

    static object? RebuildTensor(object?[] a)
    {
        if (a.Length < 4 || a[0] is not StorageRef storage || a[1] is not long offset)
            throw new BadInputException("pickle: malformed _rebuild_tensor_v2 arguments");
        long[] shape = Longs(a[2]), stride = Longs(a[3]);
        if (shape.Length != stride.Length) throw new BadInputException("pickle: tensor shape and stride differ in rank");
        long last = offset + shape.Zip(stride, (n, st) => n == 0 ? 0 : (n - 1) * st).Sum();
        if (shape.All(n => n > 0) && (offset < 0 || last >= storage.Numel))
            throw new BadInputException($"pickle: tensor view exceeds its storage '{storage.Key}'");
        return new TensorRef(storage, offset, shape, stride);
    }

    static long[] Longs(object? o) => o is object?[] t && t.All(x => x is long)
        ? t.Select(x => (long)x!).ToArray()
        : throw new BadInputException("pickle: tensor size/stride is not a tuple of ints");

    /// <summary>Loads the tensors of the checkpoint's state dict (nested wrappers unwrapped), only those
    /// <paramref name="include"/> accepts when given: the storages of the others are never read.</summary>
    public static StateDict Load(string path, Func<string, bool>? include = null)
    {
        var (zip, prefix, root) = Open(path);
        using (zip)
        {
            var flat = StateDictUnwrapper.Unwrap<TensorRef>(root, Path.GetFileName(path));
            var sd = new StateDict();
            var storages = new Dictionary<string, Tensor>();
            try
            {
                foreach (var (name, r) in flat)
                {
                    if (include is not null && !include(name)) continue;
                    if (!storages.TryGetValue(r.Storage.Key, out var storage))
                    {
                        var entry = zip.GetEntry($"{prefix}data/{r.Storage.Key}")
                            ?? throw new BadInputException($"{Path.GetFileName(path)}: storage data/{r.Storage.Key} for '{name}' is missing");
                        long expected = r.Storage.Numel * DTypes.ElementSize(r.Storage.DType);
                        if (entry.Length != expected)
                            throw new BadInputException($"{Path.GetFileName(path)}: storage data/{r.Storage.Key} has {entry.Length} bytes, expected {expected}");
                        using var s = entry.Open();
                        storage = TensorBytes.Read(s, r.Storage.DType, r.Storage.Numel, $"{Path.GetFileName(path)}:{name}");
                        storages[r.Storage.Key] = storage;
                    }
                    sd.Add(name, View(storage, r));
                }
            }
            catch (InvalidDataException e)
            {
                sd.Dispose();
                throw new BadInputException($"{Path.GetFileName(path)}: corrupt zip data ({e.Message})");
            }
            catch
            {
                sd.Dispose();
                throw;
            }
            finally
            {
                foreach (var s in storages.Values) s.Dispose();
            }
            return sd;
        }
    }

    /// <summary>Tensor names, dtypes and shapes, reading only the pickle.</summary>
    public static IReadOnlyList<TensorInfo> Inspect(string path)
    {
        var (zip, _, root) = Open(path);
        using (zip)
            return StateDictUnwrapper.Unwrap<TensorRef>(root, Path.GetFileName(path))
                .Select(kv => new TensorInfo(kv.Key, kv.Value.Storage.DType, kv.Value.Shape)).ToList();
    }

    // Each tensor gets memory of its own: views into a shared storage would keep the whole storage
    // alive and surprise whoever copies into them.
    static Tensor View(Tensor storage, TensorRef r) => storage.as_strided(r.Shape, r.Stride, r.Offset).clone();
}
