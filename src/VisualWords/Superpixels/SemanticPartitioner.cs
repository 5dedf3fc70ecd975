using VisualWords.Data;
using VisualWords.Imaging;
using VisualWords.Sam.Amg;

namespace VisualWords.Superpixels;

/// <summary>
/// The semantic superpixel recipe (see <see cref="SemanticSuperpixelConfig"/>):
/// 1. visit masks whole → part → sub-part, larger first within a level (ties: higher predicted IoU,
///    then lower index) and keep a mask only if less than MaxCoveredFraction of it is already covered;
/// 2. paint kept masks so that overlaps go to the finer (or, by config, the coarser) mask; masks
///    painted over completely disappear;
/// 3. pixels no kept mask covers become regions, one per connected component;
/// 4. with ColourSplitTolerance, each region splits into its colour-coherent parts (<see cref="ColourSplit"/>);
/// 5. regions under MinRegionArea, then the smallest beyond MaxRegions, merge into the neighbour
///    with the longest shared border;
/// 6. regions are numbered in raster order of their first pixel.
/// Masks are walked along their RLE runs (column-major), so each mask costs its area, not the image's.
/// </summary>
public static class SemanticPartitioner
{
    /// <param name="image">The image (needed only for <see cref="SemanticSuperpixelConfig.ColourSplitTolerance"/>).</param>
    public static SuperpixelPartition Build(IReadOnlyList<LeveledMask> masks, int height, int width, SemanticSuperpixelConfig? config = null,
        RgbImage? image = null)
    {
        config ??= new SemanticSuperpixelConfig();
        config.Validate();
        if (config.ColourSplitTolerance > 0 && image is null)
            throw new ArgumentException("the colour split needs the image", nameof(image));
        foreach (var m in masks)
        {
            if (m.Mask.Height != height || m.Mask.Width != width)
                throw new BadInputException($"mask {m.Index} is {m.Mask.Width}x{m.Mask.Height}, the image is {width}x{height}");
            if (m.Level is < 0 or > 2) throw new BadInputException($"mask {m.Index} has level {m.Level}; levels are 0 (whole), 1 (part), 2 (sub-part)");
        }

        var ordered = masks.OrderBy(m => m.Level).ThenByDescending(m => RleOps.Area(m.Mask))
            .ThenByDescending(m => m.PredictedIou).ThenBy(m => m.Index).ToList();
        int n = height * width;
        var covered = new bool[n];                       // column-major, like the RLE
        var kept = new List<LeveledMask>();
        foreach (var m in ordered)
        {
            long area = RleOps.Area(m.Mask);
            if (area == 0) continue;
            long already = 0;
            ForEachRun(m.Mask, (start, len) => { for (int p = start; p < start + len; p++) if (covered[p]) already++; });
            if (kept.Count > 0 && already >= config.MaxCoveredFraction * area) continue;
            kept.Add(m);
            ForEachRun(m.Mask, (start, len) => Array.Fill(covered, true, start, len));
        }

        // Paint: label k+1 for kept mask k, 0 for uncovered. Finer wins = paint coarse → fine and overwrite;
        // coarser wins = same order but only into unpainted pixels.
        var colLabels = new int[n];
        for (int k = 0; k < kept.Count; k++)
        {
            int label = k + 1;
            bool overwrite = config.OverlapWinner == OverlapWinner.Finer;
            ForEachRun(kept[k].Mask, (start, len) =>
            {
                for (int p = start; p < start + len; p++)
                    if (overwrite || colLabels[p] == 0) colLabels[p] = label;
            });
        }
        var labels = new int[n];
        for (int x = 0; x < width; x++)
            for (int y = 0; y < height; y++) labels[y * width + x] = colLabels[x * height + y];

        // Uncovered components get labels after the masks'.
        var uncovered = new bool[n];
        for (int p = 0; p < n; p++) uncovered[p] = labels[p] == 0;
        var (cc, _) = ConnectedComponents.Label(uncovered, height, width, config.UncoveredConnectivity);
        int firstUncovered = kept.Count + 1;
        for (int p = 0; p < n; p++) if (uncovered[p]) labels[p] = kept.Count + cc[p];

        // Each part of a colour split keeps the source of the region it came from.
        Func<int, int> source = label => label;
        if (config.ColourSplitTolerance > 0)
        {
            (labels, var origin) = ColourSplit.Split(labels, height, width, image!, config.ColourSplitTolerance);
            source = label => origin[label];
        }
        RegionMerger.Merge(labels, height, width, config.MinRegionArea, config.MaxRegions);
        return SuperpixelPartition.FromLabels(labels, height, width, label => source(label) is var l && l < firstUncovered
            ? ((RegionSource)kept[l - 1].Level, kept[l - 1].Index) : (RegionSource.Uncovered, -1));
    }

    static void ForEachRun(Rle rle, Action<int, int> run)
    {
        int idx = 0;
        for (int i = 0; i < rle.Counts.Length; i++)
        {
            int len = (int)rle.Counts[i];
            if ((i & 1) == 1 && len > 0) run(idx, len);
            idx += len;
        }
    }

    /// <summary>The level of a generator mask under the configured assignment.</summary>
    public static int Level(SamMaskRecord mask, LevelAssignment how) =>
        how == LevelAssignment.OutputIndex ? 2 - Math.Clamp(mask.MultimaskIndex, 0, 2) : mask.Level;

    /// <summary>Generator masks as partition input, levels assigned per <paramref name="config"/>.</summary>
    public static List<LeveledMask> FromRecords(IReadOnlyList<SamMaskRecord> masks, SemanticSuperpixelConfig config) =>
        masks.Select((m, i) => new LeveledMask(m.Segmentation, Level(m, config.LevelAssignment), m.PredictedIou, i)).ToList();
}
