using System.Text.Json;

namespace VisualWords.Superpixels;

/// <summary>
/// One image's superpixels on disk (JSON, format "visualwords.superpixels/1"): image path, size,
/// method, region records and the label map as row-major runs [label, count, label, count, ...].
/// Written atomically; <see cref="Load"/> validates everything it reads.
/// </summary>
public static class SuperpixelFile
{
    public const string Format = "visualwords.superpixels/1";

    public sealed record Content(string Image, string Method, int MaskCount, SuperpixelPartition Partition);

    public static void Save(string path, Content c) => AtomicFile.WriteAllText(path, ToJson(c));

    /// <param name="labelMap">Include the label map (label_runs): the precompute files do; the CLI's
    /// <c>superpixels --json</c> summary leaves it out (its overlay PNG shows the regions).</param>
    public static string ToJson(Content c, bool labelMap = true)
    {
        var p = c.Partition;
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteString("image", c.Image);
            w.WriteString("method", c.Method);
            w.WriteNumber("height", p.Height);
            w.WriteNumber("width", p.Width);
            w.WriteNumber("masks", c.MaskCount);
            w.WritePropertyName("regions");
            WriteRegions(w, p.Regions);
            if (!labelMap)
            {
                w.WriteEndObject();
                w.Flush();
                return System.Text.Encoding.UTF8.GetString(ms.ToArray());
            }
            w.WritePropertyName("label_runs");
            w.WriteStartArray();
            int i = 0;
            while (i < p.Labels.Length)
            {
                int j = i;
                while (j < p.Labels.Length && p.Labels[j] == p.Labels[i]) j++;
                w.WriteNumberValue(p.Labels[i]);
                w.WriteNumberValue(j - i);
                i = j;
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Region records as a JSON array.</summary>
    static void WriteRegions(Utf8JsonWriter w, IReadOnlyList<SuperpixelRegion> regions)
    {
        w.WriteStartArray();
        foreach (var r in regions)
        {
            w.WriteStartObject();
            w.WriteNumber("id", r.Id);
            w.WriteNumber("area", r.Area);
            w.WritePropertyName("bbox");
            w.WriteStartArray(); w.WriteNumberValue(r.X); w.WriteNumberValue(r.Y); w.WriteNumberValue(r.W); w.WriteNumberValue(r.H); w.WriteEndArray();
            w.WritePropertyName("centroid");
            w.WriteStartArray(); w.WriteNumberValue(Math.Round(r.CentroidX, 3)); w.WriteNumberValue(Math.Round(r.CentroidY, 3)); w.WriteEndArray();
            w.WriteString("source", SourceName(r.Source));
            w.WriteNumber("mask_index", r.MaskIndex);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    static string SourceName(RegionSource s) => s switch
    {
        RegionSource.Whole => "whole",
        RegionSource.Part => "part",
        RegionSource.SubPart => "sub_part",
        RegionSource.Uncovered => "uncovered",
        RegionSource.GridCell => "grid_cell",
        RegionSource.Slic => "slic",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    static RegionSource ParseSource(string s) => s switch
    {
        "whole" => RegionSource.Whole,
        "part" => RegionSource.Part,
        "sub_part" => RegionSource.SubPart,
        "uncovered" => RegionSource.Uncovered,
        "grid_cell" => RegionSource.GridCell,
        "slic" => RegionSource.Slic,
        _ => throw new BadInputException($"unknown region source '{s}'"),
    };

    public static Content Load(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            if (root.GetProperty("format").GetString() != Format)
                throw new BadInputException($"{path}: not a {Format} file");
            int h = root.GetProperty("height").GetInt32(), w = root.GetProperty("width").GetInt32();
            if (h < 1 || w < 1) throw new BadInputException($"{path}: bad size {w}x{h}");
            var regions = root.GetProperty("regions").EnumerateArray().ToList();
            var labels = new int[checked(h * w)];
            int pos = 0;
            var runs = root.GetProperty("label_runs").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            if (runs.Length % 2 != 0) throw new BadInputException($"{path}: odd label_runs");
            for (int i = 0; i < runs.Length; i += 2)
            {
                int label = runs[i], count = runs[i + 1];
                if (label < 0 || label >= regions.Count || count < 1 || pos + count > labels.Length)
                    throw new BadInputException($"{path}: label_runs do not fit {regions.Count} regions on {w}x{h}");
                Array.Fill(labels, label, pos, count);
                pos += count;
            }
            if (pos != labels.Length) throw new BadInputException($"{path}: label_runs cover {pos} of {labels.Length} pixels");
            var info = regions.Select(r => (ParseSource(r.GetProperty("source").GetString()!), r.GetProperty("mask_index").GetInt32())).ToArray();
            var partition = SuperpixelPartition.FromLabels(labels, h, w, id => info[id]);
            if (partition.Regions.Count != regions.Count || !partition.Regions.Select(r => r.Area).SequenceEqual(regions.Select(r => r.GetProperty("area").GetInt64())))
                throw new BadInputException($"{path}: region records do not match the label map");
            return new Content(root.GetProperty("image").GetString()!, root.GetProperty("method").GetString()!,
                root.GetProperty("masks").GetInt32(), partition);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new BadInputException($"{path}: corrupt superpixel file ({e.Message})", e);
        }
    }
}
