using System.Text.Json;

namespace VisualWords.Superpixels;

/// <summary>
/// What a (possibly sharded) precompute run covers: the image root, every image as a path relative
/// to it (sorted, so every shard sees the same order), and the method with its settings. Every
/// shard writes the same plan to the output folder; a plan already there must match, so shards of
/// different settings cannot mix. <c>merge</c> reads it to know what "complete" means.
/// </summary>
public sealed record PrecomputePlan(string Source, string Root, IReadOnlyList<string> Images, string Method, string Settings)
{
    public const string FileName = "plan.json";
    public const string Format = "visualwords.precompute-plan/1";

    static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".webp", ".bmp"];

    public static bool IsImageFile(string path) => ImageExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>Every image file under <paramref name="dir"/> (recursively).</summary>
    public static PrecomputePlan ForFolder(string dir, string method, string settings)
    {
        if (!Directory.Exists(dir)) throw new BadInputException($"image folder '{dir}' does not exist");
        var root = Path.GetFullPath(dir);
        var images = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(IsImageFile)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal).ToList();
        if (images.Count == 0) throw new BadInputException($"no images (jpg, png, webp, bmp) under '{dir}'");
        return new PrecomputePlan("images", root, images, method, settings);
    }

    /// <summary>
    /// Writes the plan into <paramref name="outDir"/>, or checks that the plan already there is the same.
    /// </summary>
    public void SaveOrVerify(string outDir)
    {
        var path = Path.Combine(outDir, FileName);
        if (File.Exists(path))
        {
            var existing = Load(outDir);
            if (existing.Method != Method || existing.Settings != Settings || !existing.Images.SequenceEqual(Images))
                throw new BadInputException($"{path} was written for other images or settings " +
                    $"({existing.Images.Count} images, {existing.Method}: {existing.Settings}); use another --out or delete it");
            return;
        }
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteString("source", Source);
            w.WriteString("root", Root);
            w.WriteString("method", Method);
            w.WriteString("settings", Settings);
            w.WritePropertyName("images");
            w.WriteStartArray();
            foreach (var i in Images) w.WriteStringValue(i);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        AtomicFile.Write(path, s => s.Write(ms.ToArray()));
    }

    public static PrecomputePlan Load(string outDir)
    {
        var path = Path.Combine(outDir, FileName);
        if (!File.Exists(path)) throw new BadInputException($"{path} not found: run 'precompute' into this folder first");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var r = doc.RootElement;
            if (r.GetProperty("format").GetString() != Format) throw new BadInputException($"{path}: not a {Format} file");
            return new PrecomputePlan(r.GetProperty("source").GetString()!, r.GetProperty("root").GetString()!,
                r.GetProperty("images").EnumerateArray().Select(e => e.GetString()!).ToList(),
                r.GetProperty("method").GetString()!, r.GetProperty("settings").GetString()!);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new BadInputException($"{path}: corrupt plan ({e.Message})", e);
        }
    }

    /// <summary>Where the result for image <paramref name="image"/> (relative path) goes.</summary>
    public static string OutputPath(string outDir, string image) => Path.Combine(outDir, "superpixels", image + ".json");

    /// <summary>Parses "I/N" (0-based shard I of N).</summary>
    public static (int Index, int Count) ParseShard(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int i) || !int.TryParse(parts[1], out int n) || n < 1 || i < 0 || i >= n)
            throw new BadInputException($"--shard must be I/N with 0 <= I < N (got '{text}')");
        return (i, n);
    }
}
