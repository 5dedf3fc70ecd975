using System.Diagnostics;
using VisualWords.Imaging;
using VisualWords.Sam.Amg;

namespace VisualWords.Superpixels;

/// <summary>What one image's superpixel run made: SAM masks (0 for the baselines), regions, seconds, and a timing line for people.</summary>
public sealed record SuperpixelImageSummary(int Masks, int Regions, double Seconds, string Timing);

/// <summary>
/// <c>visualwords superpixels</c> on one image or a folder: the overlay PNG (region colours and
/// boundaries), the region records (<see cref="SuperpixelFile"/> without the label map, which the overlay
/// shows) and, for the semantic method, SAM's everything-mode masks in the official generator's format.
/// </summary>
public static class SuperpixelRun
{
    /// <param name="jsonPath">The region records, or null.</param>
    /// <param name="masksPath">SAM's masks as the official generator's records (COCO RLE), or null.</param>
    /// <param name="write">Writes one output file (path, content).</param>
    public static SuperpixelImageSummary Image(ISuperpixelizer sp, string imagePath, string overlayPath, string? jsonPath, string? masksPath,
        Action<string, Action<Stream>> write)
    {
        var clock = Stopwatch.StartNew();
        var img = ImageIO.Load(imagePath);
        List<SamMaskRecord> masks = [];
        SuperpixelPartition partition;
        string timing;
        if (sp is SemanticSuperpixelizer semantic)
        {
            (masks, partition) = semantic.Run(img);
            timing = $"generator {semantic.Generator.LastTimings}; total {clock.Elapsed.TotalSeconds:F2} s";
        }
        else
        {
            partition = sp.Partition(img);
            timing = $"total {clock.Elapsed.TotalSeconds:F2} s";
        }
        using (var labels = partition.LabelTensor())
        {
            var overlay = Overlay.LabelOverlay(img, labels);
            write(overlayPath, s => ImageIO.WritePng(overlay, s));
        }
        if (jsonPath is not null)
            WriteText(write, jsonPath, SuperpixelFile.ToJson(new SuperpixelFile.Content(imagePath, sp.Name, masks.Count, partition), labelMap: false));
        if (masksPath is not null)
            WriteText(write, masksPath, MaskRecordJson.ToJson(masks));
        return new SuperpixelImageSummary(masks.Count, partition.Regions.Count, clock.Elapsed.TotalSeconds, timing);
    }

    /// <summary>The images of <paramref name="folder"/> (recursively, sorted), as paths relative to it; the order <see cref="Folder"/> takes.</summary>
    public static IReadOnlyList<string> FolderImages(string folder, ISuperpixelizer sp, string settings) =>
        PrecomputePlan.ForFolder(folder, sp.Name, settings).Images;

    /// <summary>
    /// Every image of <paramref name="images"/> (relative to <paramref name="folder"/>): its outputs are
    /// named after it (IMAGE.png in <paramref name="overlayDir"/>, IMAGE.regions.json, IMAGE.masks.json)
    /// and each file is written atomically as soon as its image is done, so a stopped run keeps what it finished.
    /// </summary>
    /// <param name="onImage">Called after each image (for progress).</param>
    public static IReadOnlyList<(string Image, SuperpixelImageSummary Summary)> Folder(ISuperpixelizer sp, string folder, IReadOnlyList<string> images,
        string overlayDir, string? jsonDir, string? masksDir, Action<string>? onImage = null)
    {
        var summaries = new List<(string, SuperpixelImageSummary)>();
        foreach (var f in images)
        {
            var s = Image(sp, Path.Combine(folder, f), Path.Combine(overlayDir, f + ".png"),
                jsonDir is null ? null : Path.Combine(jsonDir, f + ".regions.json"),
                masksDir is null ? null : Path.Combine(masksDir, f + ".masks.json"), AtomicFile.Write);
            summaries.Add((f, s));
            onImage?.Invoke(f);
        }
        return summaries;
    }

    static void WriteText(Action<string, Action<Stream>> write, string path, string text) =>
        write(path, s => { using var tw = new StreamWriter(s, leaveOpen: true); tw.Write(text); });
}
