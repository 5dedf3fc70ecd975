using System.Diagnostics;
using VisualWords.Data;
using VisualWords.Imaging;
using VisualWords.Superpixels;

namespace VisualWords.Evaluation;

/// <summary>
/// The superpixel metrics of one method over a set of images. ASA, boundary recall (BR), under-
/// segmentation error (UE), regions and time are means over images; object recall pools the objects of
/// all images (an object is recalled when one region has IoU ≥ 0.5 with it), split into small objects
/// (area below <see cref="SuperpixelEvaluation.SmallObjectFraction"/> of the image) and large ones.
/// Milliseconds count the partition only (image decoding excluded).
/// </summary>
public sealed record SuperpixelScore(
    string Method, int Images, double Asa, double BoundaryRecall, double UndersegmentationError,
    int Objects, double ObjectRecall, int SmallObjects, double SmallObjectRecall, int LargeObjects, double LargeObjectRecall,
    double MeanBestIou, double RegionsPerImage, double MillisecondsPerImage);

/// <summary>Runs a superpixel method over instance-annotated images and scores it (<see cref="SuperpixelScore"/>).</summary>
public static class SuperpixelEvaluation
{
    /// <summary>Objects under this fraction of the image area count as small (1% ≈ a 13 × 13 object at 128²).</summary>
    public const double SmallObjectFraction = 0.01;

    /// <summary>Scores of one partition against one image's objects.</summary>
    public sealed record ImageScore(double Asa, double BoundaryRecall, double UndersegmentationError, double[] BestIou, bool[] Small, int Regions);

    public static ImageScore ScoreImage(SuperpixelPartition partition, IReadOnlyList<bool[]> objects, int boundaryTolerance = 2)
    {
        int pixels = partition.Height * partition.Width;
        var gt = SuperpixelMetrics.GroundTruthLabels(objects, pixels);
        var small = objects.Select(m => m.Count(v => v) < SmallObjectFraction * pixels).ToArray();
        return new ImageScore(
            SuperpixelMetrics.AchievableSegmentationAccuracy(partition.Labels, gt),
            SuperpixelMetrics.BoundaryRecall(partition.Labels, gt, partition.Height, partition.Width, boundaryTolerance),
            SuperpixelMetrics.UndersegmentationError(partition.Labels, gt),
            SuperpixelMetrics.BestRegionIou(partition.Labels, objects), small, partition.Regions.Count);
    }

    /// <param name="progress">Called after each image with the number done.</param>
    /// <param name="label">Name in the score (default: the method's name).</param>
    public static SuperpixelScore Run(ISuperpixelizer method, IReadOnlyList<InstanceImage> images, Action<int>? progress = null, string? label = null)
    {
        var scores = new List<ImageScore>();
        double ms = 0;
        foreach (var item in images)
        {
            var image = ImageIO.Load(item.Path);
            var objects = item.Masks.Select(RleEncoding.Decode).Where(m => Array.IndexOf(m, true) >= 0).ToList();
            var clock = Stopwatch.StartNew();
            var partition = method.Partition(image);
            ms += clock.Elapsed.TotalMilliseconds;
            scores.Add(ScoreImage(partition, objects));
            progress?.Invoke(scores.Count);
        }
        return Summarise(label ?? method.Name, scores, ms);
    }

    public static SuperpixelScore Summarise(string method, IReadOnlyList<ImageScore> scores, double totalMilliseconds)
    {
        var best = scores.SelectMany(s => s.BestIou).ToArray();
        var small = scores.SelectMany(s => s.Small).ToArray();
        double Recall(Func<int, bool> which)
        {
            var picked = Enumerable.Range(0, best.Length).Where(which).ToList();
            return picked.Count == 0 ? double.NaN : picked.Count(i => best[i] >= 0.5) / (double)picked.Count;
        }
        double Mean(Func<ImageScore, double> f)
        {
            var v = scores.Select(f).Where(x => !double.IsNaN(x)).ToList();
            return v.Count == 0 ? double.NaN : v.Average();
        }
        int n = scores.Count;
        return new SuperpixelScore(method, n, Mean(s => s.Asa), Mean(s => s.BoundaryRecall), Mean(s => s.UndersegmentationError),
            best.Length, Recall(_ => true), small.Count(v => v), Recall(i => small[i]), small.Count(v => !v), Recall(i => !small[i]),
            best.Length == 0 ? double.NaN : best.Average(), Mean(s => s.Regions), n == 0 ? double.NaN : totalMilliseconds / n);
    }
}
