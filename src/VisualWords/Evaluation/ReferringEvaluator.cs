using System.Diagnostics;
using VisualWords.Data;
using VisualWords.Imaging;
using static TorchSharp.torch;

namespace VisualWords.Evaluation;

/// <summary>
/// Runs predictors over a refer-format split, one sample per sentence, and scores them against the
/// annotation masks. Every predictor sees the same samples in the same order, so their rows in
/// the report compare like with like.
/// </summary>
public static class ReferringEvaluator
{
    /// <param name="limit">evaluate only the first N expressions of the split</param>
    /// <param name="skipMissingImages">leave out (and count) samples whose image file is missing, instead of failing</param>
    /// <param name="progress">called with (done, total) after each expression</param>
    public static EvaluationReport Evaluate(ReferDataset dataset, string split, IReadOnlyList<IReferringPredictor> predictors,
        int? limit = null, bool skipMissingImages = false, Action<int, int>? progress = null)
    {
        if (predictors.Count == 0) throw new BadInputException("nothing to evaluate: no predictor given");
        if (limit is < 1) throw new BadInputException($"--limit {limit}: evaluate at least one expression");
        var set = dataset.Samples(split, skipMissingImages);
        var samples = limit is int n ? set.Samples.Take(n).ToList() : set.Samples.ToList();
        if (samples.Count == 0) throw new BadInputException($"split '{split}' has no samples to evaluate (all {set.SkippedMissingImages} images missing?)");

        var metrics = predictors.Select(_ => new SegmentationMetrics()).ToArray();
        // Per expression kind where the dataset names one (ShapesWorld: attribute, relation, extreme).
        var byKind = predictors.Select(_ => new SortedDictionary<string, SegmentationMetrics>(StringComparer.Ordinal)).ToArray();
        var latencies = predictors.Select(_ => new List<double>()).ToArray();
        var firstOfImage = new List<bool>();
        var tokens = predictors.Select(_ => new Dictionary<long, int>()).ToArray();
        RgbImage? image = null;
        long imageId = -1;
        for (int k = 0; k < samples.Count; k++)
        {
            var s = samples[k];
            firstOfImage.Add(s.Image.Id != imageId);
            if (s.Image.Id != imageId)
            {
                image = ImageIO.Load(s.ImagePath);
                imageId = s.Image.Id;
                if (image.Width != s.Image.Width || image.Height != s.Image.Height)
                    throw new BadInputException($"{s.ImagePath} is {image.Width}x{image.Height} but instances.json says {s.Image.Width}x{s.Image.Height}");
            }
            using var target = RleEncoding.DecodeTensor(dataset.Mask(s));
            for (int p = 0; p < predictors.Count; p++)
            {
                var watch = Stopwatch.StartNew();
                using var prediction = predictors[p].Predict(image!, s.Expression);
                watch.Stop();
                if (!prediction.Mask.shape.SequenceEqual(target.shape))
                    throw new InvalidOperationException($"{predictors[p].Name} predicted a [{string.Join(", ", prediction.Mask.shape)}] mask for a {image!.Height}x{image.Width} image");
                var (inter, union) = SegmentationMetrics.Overlap(prediction.Mask, target);
                metrics[p].Add(inter, union);
                if (s.Sentence.Kind is { } kind)
                {
                    if (!byKind[p].TryGetValue(kind, out var km)) byKind[p][kind] = km = new SegmentationMetrics();
                    km.Add(inter, union);
                }
                latencies[p].Add(watch.Elapsed.TotalMilliseconds);
                if (prediction.VisualTokens is int t) tokens[p].TryAdd(imageId, t);
            }
            progress?.Invoke(k + 1, samples.Count);
        }

        int images = samples.Select(s => s.Image.Id).Distinct().Count();
        var rows = predictors.Select((pr, p) =>
        {
            var m = metrics[p];
            var tok = tokens[p].Values.Select(v => (double)v).ToList();
            return new EvaluationRow(pr.Name, m.Count, images, m.CIoU, m.GIoU,
                SegmentationMetrics.Thresholds.ToDictionary(EvaluationReport.Key, m.PrecisionAt),
                tok.Count > 0 ? tok.Average() : null, tok.Count > 0 ? Percentiles.Of(tok, 0.95) : null,
                latencies[p].Average(), Percentiles.Of(latencies[p], 0.95),
                MeanWhere(latencies[p], firstOfImage, true), MeanWhere(latencies[p], firstOfImage, false),
                byKind[p].Count == 0 ? null : byKind[p].ToDictionary(kv => kv.Key,
                    kv => new KindScores(kv.Value.Count, kv.Value.CIoU, kv.Value.GIoU, kv.Value.PrecisionAt(0.5))));
        }).ToList();
        return new EvaluationReport(Path.GetFileName(Path.TrimEndingDirectorySeparator(dataset.Directory)), split, samples.Count, set.SkippedMissingImages, rows);
    }

    /// <summary>Mean of the values whose flag equals <paramref name="first"/> (null when none).</summary>
    static double? MeanWhere(List<double> values, List<bool> flags, bool first)
    {
        var picked = values.Where((_, i) => flags[i] == first).ToList();
        return picked.Count > 0 ? picked.Average() : null;
    }
}
