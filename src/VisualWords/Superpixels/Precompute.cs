using System.Text.Json;
using VisualWords.Imaging;

namespace VisualWords.Superpixels;

/// <summary>Counts of one shard run.</summary>
public sealed record PrecomputeShardResult(int Assigned, int Computed, int Skipped, int StaleTempsRemoved);

/// <summary>
/// Sharded, resumable superpixel precomputation. Shard I of N takes every N-th image of the plan
/// starting at I; each result is written atomically, so a file that exists is complete and a rerun
/// skips it; temp files of killed runs are removed before their image is redone.
/// </summary>
public static class Precompute
{
    /// <param name="compute">Superpixels of one image plus the number of SAM masks behind them (0 for baselines).</param>
    /// <param name="onImage">Called after each image of the shard (for progress), with whether it was computed.</param>
    public static PrecomputeShardResult RunShard(PrecomputePlan plan, int shard, int shards, string outDir,
        Func<RgbImage, (SuperpixelPartition Partition, int Masks)> compute, Action<string, bool>? onImage = null)
    {
        if (shards < 1 || shard < 0 || shard >= shards) throw new BadInputException($"shard {shard}/{shards} is out of range");
        Directory.CreateDirectory(outDir);
        plan.SaveOrVerify(outDir);
        int assigned = 0, computed = 0, skipped = 0, stale = 0;
        for (int k = shard; k < plan.Images.Count; k += shards)
        {
            assigned++;
            var image = plan.Images[k];
            var output = PrecomputePlan.OutputPath(outDir, image);
            stale += AtomicFile.DeleteStaleTemps(output);
            if (File.Exists(output))
            {
                skipped++;
                onImage?.Invoke(image, false);
                continue;
            }
            var img = ImageIO.Load(Path.Combine(plan.Root, image));
            var (partition, masks) = compute(img);
            SuperpixelFile.Save(output, new SuperpixelFile.Content(image, plan.Method, masks, partition));
            computed++;
            onImage?.Invoke(image, true);
        }
        return new PrecomputeShardResult(assigned, computed, skipped, stale);
    }

    /// <summary>
    /// Checks that every image of the plan has a valid result and writes <c>index.json</c> (atomic):
    /// image, result file, size and region count per image. Throws, naming what is missing, otherwise.
    /// </summary>
    public static string Merge(string outDir, Action<string>? onImage = null)
    {
        var plan = PrecomputePlan.Load(outDir);
        var missing = new List<string>();
        var entries = new List<(string Image, string File, int H, int W, int Regions, int Masks)>();
        foreach (var image in plan.Images)
        {
            var path = PrecomputePlan.OutputPath(outDir, image);
            if (!File.Exists(path)) { missing.Add(image); continue; }
            var c = SuperpixelFile.Load(path);
            if (c.Image != image || c.Method != plan.Method)
                throw new BadInputException($"{path} holds '{c.Image}' ({c.Method}), expected '{image}' ({plan.Method})");
            entries.Add((image, Path.GetRelativePath(outDir, path).Replace('\\', '/'), c.Partition.Height, c.Partition.Width,
                c.Partition.Regions.Count, c.MaskCount));
            onImage?.Invoke(image);
        }
        if (missing.Count > 0)
            throw new BadInputException($"incomplete: {missing.Count} of {plan.Images.Count} images have no result " +
                $"(e.g. {string.Join(", ", missing.Take(5))}); rerun the missing shards");

        var indexPath = Path.Combine(outDir, "index.json");
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", "visualwords.precompute-index/1");
            w.WriteString("method", plan.Method);
            w.WriteString("settings", plan.Settings);
            w.WriteNumber("count", entries.Count);
            w.WritePropertyName("images");
            w.WriteStartArray();
            foreach (var e in entries)
            {
                w.WriteStartObject();
                w.WriteString("image", e.Image);
                w.WriteString("file", e.File);
                w.WriteNumber("height", e.H);
                w.WriteNumber("width", e.W);
                w.WriteNumber("regions", e.Regions);
                w.WriteNumber("masks", e.Masks);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        AtomicFile.Write(indexPath, s => s.Write(ms.ToArray()));
        return indexPath;
    }
}
