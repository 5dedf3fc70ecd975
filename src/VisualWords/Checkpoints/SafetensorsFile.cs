using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace VisualWords.Checkpoints;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header
/// <c>{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}</c>, then the
/// raw little-endian tensor bytes (offsets relative to the end of the header).
/// </summary>
public static class SafetensorsFile
{
    const long MaxHeaderBytes = 100L << 20;

    internal sealed record Entry(TensorInfo Info, long Begin, long End);

    internal sealed record Header(long DataStart, IReadOnlyList<Entry> Entries, IReadOnlyDictionary<string, string> Metadata);

    public static bool LooksLikeSafetensors(string path)
    {
        using var f = File.OpenRead(path);
        if (f.Length < 10) return false;
        Span<byte> b = stackalloc byte[9];
        f.ReadExactly(b);
        long n = BinaryPrimitives.ReadInt64LittleEndian(b);
        return n > 0 && n <= f.Length - 8 && b[8] == (byte)'{';
    }

    internal static Header ReadHeader(Stream f, string what)
    {
        if (f.Length < 8) throw new BadInputException($"{what}: too short to be a safetensors file");
        Span<byte> lenBytes = stackalloc byte[8];
        f.ReadExactly(lenBytes);
        long n = BinaryPrimitives.ReadInt64LittleEndian(lenBytes);
        if (n <= 0 || n > MaxHeaderBytes || n > f.Length - 8)
            throw new BadInputException($"{what}: invalid safetensors header length {n} (file has {f.Length} bytes; truncated or not safetensors)");
        var json = new byte[n];
        f.ReadExactly(json);
        long dataStart = 8 + n, dataLen = f.Length - dataStart;
        var entries = new List<Entry>();
        var meta = new Dictionary<string, string>();
        try
        {
            using var doc = JsonDocument.Parse(json);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                {
                    foreach (var m in p.Value.EnumerateObject()) meta[m.Name] = m.Value.GetString() ?? "";
                    continue;
                }
                var dtype = DTypes.FromSafetensors(p.Value.GetProperty("dtype").GetString() ?? "");
                var shape = p.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                var offs = p.Value.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                var info = new TensorInfo(p.Name, dtype, shape);
                if (shape.Any(d => d < 0) || offs.Length != 2 || offs[0] < 0 || offs[1] < offs[0])
                    throw new BadInputException($"{what}: tensor '{p.Name}' has an invalid shape or offsets");
                if (offs[1] > dataLen)
                    throw new BadInputException($"{what}: tensor '{p.Name}' ends at byte {offs[1]} but the file holds {dataLen} data bytes (truncated?)");
                if (offs[1] - offs[0] != info.Numel * DTypes.ElementSize(dtype))
                    throw new BadInputException($"{what}: tensor '{p.Name}' has {offs[1] - offs[0]} bytes for {info.Numel} {DTypes.ShortName(dtype)} elements");
                entries.Add(new Entry(info, offs[0], offs[1]));
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new BadInputException($"{what}: corrupt safetensors header ({e.Message})");
        }
        return new Header(dataStart, entries, meta);
    }

    public static IReadOnlyList<TensorInfo> Inspect(string path)
    {
        using var f = File.OpenRead(path);
        return ReadHeader(f, Path.GetFileName(path)).Entries.Select(e => e.Info).ToList();
    }

    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var f = File.OpenRead(path);
        return ReadHeader(f, Path.GetFileName(path)).Metadata;
    }

    /// <summary>Loads the tensors (optionally only those <paramref name="include"/> accepts) into <paramref name="into"/>.</summary>
    public static void LoadInto(string path, StateDict into, Func<string, bool>? include = null)
    {
        using var f = File.OpenRead(path);
        var h = ReadHeader(f, Path.GetFileName(path));
        foreach (var e in h.Entries.OrderBy(e => e.Begin))
        {
            if (include != null && !include(e.Info.Name)) continue;
            f.Position = h.DataStart + e.Begin;
            var flat = TensorBytes.Read(f, e.Info.DType, e.Info.Numel, $"{Path.GetFileName(path)}:{e.Info.Name}");
            into.Add(e.Info.Name, flat.reshape(e.Info.Shape));
            if (!ReferenceEquals(flat, into[e.Info.Name])) flat.Dispose();
        }
    }

    /// <summary>Writes tensors to <paramref name="path"/> atomically (temp file + rename).</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header["__metadata__"] = metadata;
        long offset = 0;
        foreach (var (name, t) in list)
        {
            long bytes = t.numel() * DTypes.ElementSize(t.dtype);
            header[name] = new { dtype = DTypes.ToSafetensors(t.dtype), shape = t.shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        int pad = (8 - json.Length % 8) % 8;
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write))
            {
                Span<byte> len = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(len, json.Length + pad);
                f.Write(len);
                f.Write(json);
                for (int i = 0; i < pad; i++) f.WriteByte((byte)' ');
                foreach (var (_, t) in list)
                {
                    using var c = t.detach().cpu().contiguous();
                    if (c.numel() > 0) f.Write(c.bytes);
                }
                f.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
