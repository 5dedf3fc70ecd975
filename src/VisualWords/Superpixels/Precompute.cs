using System.Text.Json;
using VisualWords.Imaging;

namespace VisualWords.Superpixels;

/// <summary>Counts of one shard run.</summary>
/// <param name="Recomputed">Results that existed but were corrupt or for another image, computed again.</param>
/// <param name="Failed">Images that could not be read, listed with the reason in <see cref="Precompute.FailedPath"/>.</param>
public sealed record PrecomputeShardResult(int Assigned, int Computed, int Skipped, int StaleTempsRemoved, int Recomputed = 0, int Failed = 0);

/// <summary>An image a shard could not read, and why (one line of failed.jsonl).</summary>
public sealed record PrecomputeFailure(string Image, string Error);

/// <summary>
/// Sharded, resumable superpixel precomputation. Shard I of N takes every N-th image of the plan
/// starting at I; each result is written atomically, so a file that exists is complete and a rerun
/// skips it once it has checked that the file is readable and for that image (a corrupt one is
/// computed again); temp files of killed runs are removed before their image is redone. An image
/// that cannot be read is recorded in failed.jsonl with the reason, and the shard goes on.
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
        int assigned = 0, computed = 0, skipped = 0, stale = 0, recomputed = 0;
        var failures = new List<PrecomputeFailure>();
        var failedPath = FailedPath(outDir, shard, shards);
        for (int k = shard; k < plan.Images.Count; k += shards)
        {
            assigned++;
            var image = plan.Images[k];
            var output = PrecomputePlan.OutputPath(outDir, image);
            stale += AtomicFile.DeleteStaleTemps(output);
            if (File.Exists(output))
            {
                if (IsValidResult(output, image, plan.Method))
                {
                    skipped++;
                    onImage?.Invoke(image, false);
                    continue;
                }
                recomputed++;
            }
            RgbImage img;
            try
            {
                img = ImageIO.Load(Path.Combine(plan.Root, image));
            }
            catch (BadInputException e)
            {
                failures.Add(new PrecomputeFailure(image, e.Message));
                WriteFailures(failedPath, failures);   // after each failure, so a killed shard keeps its list
                onImage?.Invoke(image, false);
                continue;
            }
            var (partition, masks) = compute(img);
            SuperpixelFile.Save(output, new SuperpixelFile.Content(image, plan.Method, masks, partition));
            computed++;
            onImage?.Invoke(image, true);
        }
        WriteFailures(failedPath, failures);
        return new PrecomputeShardResult(assigned, computed, skipped, stale, recomputed, failures.Count);
    }

    /// <summary>failed.jsonl for a single shard, failed-I-of-N.jsonl when sharded (shards never share a file).</summary>
    public static string FailedPath(string outDir, int shard, int shards) =>
        Path.Combine(outDir, shards == 1 ? "failed.jsonl" : $"failed-{shard}-of-{shards}.jsonl");

    /// <summary>The failures recorded by every shard's last run in <paramref name="outDir"/>.</summary>
    public static IReadOnlyList<PrecomputeFailure> ReadFailures(string outDir)
    {
        var list = new List<PrecomputeFailure>();
        if (!Directory.Exists(outDir)) return list;
        foreach (var f in Directory.GetFiles(outDir, "failed*.jsonl").Order(StringComparer.Ordinal))
            foreach (var line in File.ReadLines(f).Where(l => l.Trim().Length > 0))
            {
                try
                {
                    if (JsonSerializer.Deserialize<PrecomputeFailure>(line, FailureJson) is { Image: not null } r) list.Add(r);
                }
                catch (JsonException) { }   // a hand-edited line is not worth failing a merge for
            }
        return list;
    }

    static readonly JsonSerializerOptions FailureJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    static void WriteFailures(string path, List<PrecomputeFailure> failures)
    {
        if (failures.Count == 0)
        {
            if (File.Exists(path)) File.Delete(path);   // an earlier run's failures have been retried
            return;
        }
        AtomicFile.WriteAllText(path, string.Concat(failures.Select(f => JsonSerializer.Serialize(f, FailureJson) + "\n")));
    }

    static bool IsValidResult(string path, string image, string method)
    {
        try
        {
            var c = SuperpixelFile.Load(path);
            return c.Image == image && c.Method == method;
        }
        catch (BadInputException)
        {
            return false;
        }
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
        {
            var failed = ReadFailures(outDir).Where(f => missing.Contains(f.Image)).ToList();
            throw new BadInputException($"incomplete: {missing.Count} of {plan.Images.Count} images have no result " +
                $"(e.g. {string.Join(", ", missing.Take(5))}); " +
                (failed.Count > 0 ? $"{failed.Count} could not be read (e.g. {failed[0].Image}: {failed[0].Error}; see failed*.jsonl), " : "") +
                "rerun the missing shards");
        }

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
