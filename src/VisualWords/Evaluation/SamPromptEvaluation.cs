using TorchSharp;
using VisualWords.Data;
using VisualWords.Imaging;
using VisualWords.Sam;
using VisualWords.Sam.Amg;
using static TorchSharp.torch;

namespace VisualWords.Evaluation;

/// <summary>
/// Single-click quality over the objects of a set of images, at the original resolution. MeanIou
/// takes the multimask output with the highest predicted IoU (what a user of the predictor gets),
/// OracleMeanIou the best of the three, SingleOutputMeanIou the non-multimask output.
/// </summary>
public sealed record SamPointScore(int Images, int Objects, double MeanIou, double OracleMeanIou, double SingleOutputMeanIou);

/// <summary>
/// Everything-mode coverage from a point grid: the fraction of objects some grid mask covers with
/// IoU ≥ 0.5 (Recall50), with every multimask output counted or only those that pass SAM's
/// automatic-generator filters (predicted IoU and stability score; before NMS), the mean of each
/// object's best IoU, and how many masks per image pass the filters.
/// </summary>
public sealed record SamGridScore(int Images, int Objects, int PointsPerSide, double Recall50, double MeanBestIou,
    double FilteredRecall50, double FilteredMeanBestIou, double MeanKeptMasksPerImage, double PredIouThresh, double StabilityThresh);

/// <summary>
/// The automatic mask generator's output against the objects: the fraction of objects one of its
/// masks covers with IoU ≥ 0.5, the mean of each object's best IoU, and masks per image.
/// </summary>
public sealed record SamEverythingScore(int Images, int Objects, int PointsPerSide, double Recall50, double MeanBestIou, double MeanMasksPerImage);

/// <summary>Point-prompt and point-grid evaluation of a SAM on instance masks (see the score records).</summary>
public static class SamPromptEvaluation
{
    public static SamPointScore PointPrompts(SamModel model, IEnumerable<InstanceImage> images)
    {
        using var _ = torch.no_grad();
        using var predictor = new SamPredictor(model);
        double chosen = 0, oracle = 0, single = 0;
        int objects = 0, count = 0;
        foreach (var item in images)
        {
            using var scope = torch.NewDisposeScope();
            var (gt, masks) = SetImage(predictor, item);
            if (masks.Count == 0) continue;
            count++;
            int h = predictor.OriginalSize.H, w = predictor.OriginalSize.W;
            var xy = new float[masks.Count * 2];
            for (int i = 0; i < masks.Count; i++)
            {
                var (x, y) = MaskInteriorPoint.Find(masks[i], h, w);
                var (rx, ry) = ResizeLongestSide.ApplyCoords(x, y, (h, w), model.Config.ImageSize);
                (xy[2 * i], xy[2 * i + 1]) = ((float)rx, (float)ry);
            }
            var coords = torch.tensor(xy, [masks.Count, 1, 2]);
            var labels = torch.ones(masks.Count, 1, dtype: ScalarType.Int64);
            var target = gt.unsqueeze(1);
            var multi = predictor.PredictTorch(coords, labels, multimaskOutput: true, returnLogits: true);
            var ious = SegmentationMetrics.MaskIou(multi.Masks, target);                        // N x 3
            chosen += ious.gather(1, multi.IouPredictions.argmax(1, keepdim: true)).sum().item<float>();
            oracle += ious.max(1).values.sum().item<float>();
            var one = predictor.PredictTorch(coords, labels, multimaskOutput: false, returnLogits: true);
            single += SegmentationMetrics.MaskIou(one.Masks, target).sum().item<float>();
            objects += masks.Count;
            multi.Dispose();
            one.Dispose();
        }
        double Mean(double s) => objects == 0 ? double.NaN : s / objects;
        return new SamPointScore(count, objects, Mean(chosen), Mean(oracle), Mean(single));
    }

    public static SamGridScore Grid(SamModel model, IEnumerable<InstanceImage> images, int pointsPerSide = 16,
        int pointsPerBatch = 64, double predIouThresh = 0.88, double stabilityThresh = 0.95, double stabilityOffset = 1.0)
    {
        using var _ = torch.no_grad();
        using var predictor = new SamPredictor(model);
        using var grid = PointGrids.BuildPointGrid(pointsPerSide).to(ScalarType.Float32);
        int count = 0, objects = 0, hit = 0, keptHit = 0;
        double bestSum = 0, keptBestSum = 0, kept = 0;
        foreach (var item in images)
        {
            using var scope = torch.NewDisposeScope();
            var (gt, masks) = SetImage(predictor, item);
            if (masks.Count == 0) continue;
            count++;
            var (inH, inW) = predictor.InputSize;
            var gtFlat = gt.view(masks.Count, -1);                                     // N x HW
            var gtArea = gtFlat.sum(1);
            var best = torch.zeros(masks.Count);
            var keptBest = torch.zeros(masks.Count);
            var points = grid * torch.tensor(new float[] { inW, inH });
            for (long start = 0; start < points.shape[0]; start += pointsPerBatch)
            {
                using var inner = torch.NewDisposeScope();
                var c = points.slice(0, start, Math.Min(start + pointsPerBatch, points.shape[0]), 1).unsqueeze(1);
                var labels = torch.ones(c.shape[0], 1, dtype: ScalarType.Int64);
                using var p = predictor.PredictTorch(c, labels, multimaskOutput: true, returnLogits: true);
                var stability = StabilityScore.Calculate(p.Masks, SamModel.MaskThreshold, stabilityOffset).nan_to_num(0);
                var keep = ((p.IouPredictions >= predIouThresh) & (stability >= stabilityThresh)).reshape(-1, 1);
                var m = (p.Masks > SamModel.MaskThreshold).to(ScalarType.Float32).reshape(keep.shape[0], -1);   // M x HW
                var inter = m.matmul(gtFlat.t());
                var iou = inter / (m.sum(1, keepdim: true) + gtArea.unsqueeze(0) - inter).clamp_min(1);  // M x N
                best = torch.maximum(best, iou.max(0).values).MoveToOuterDisposeScope();
                keptBest = torch.maximum(keptBest, (iou * keep).max(0).values).MoveToOuterDisposeScope();
                kept += keep.sum().item<long>();
            }
            objects += masks.Count;
            hit += (int)(best >= 0.5f).sum().item<long>();
            keptHit += (int)(keptBest >= 0.5f).sum().item<long>();
            bestSum += best.sum().item<float>();
            keptBestSum += keptBest.sum().item<float>();
        }
        double Of(double s) => objects == 0 ? double.NaN : s / objects;
        return new SamGridScore(count, objects, pointsPerSide, Of(hit), Of(bestSum), Of(keptHit), Of(keptBestSum),
            count == 0 ? double.NaN : kept / count, predIouThresh, stabilityThresh);
    }

    public static SamEverythingScore Everything(SamModel model, IEnumerable<InstanceImage> images, AutomaticMaskGeneratorConfig config)
    {
        using var _ = torch.no_grad();
        var generator = new SamAutomaticMaskGenerator(model, config);
        int count = 0, objects = 0, hit = 0;
        double bestSum = 0, masksSum = 0;
        foreach (var item in images)
        {
            using var scope = torch.NewDisposeScope();
            var gts = item.Masks.Select(RleEncoding.Decode).Where(m => Array.IndexOf(m, true) >= 0).ToList();
            if (gts.Count == 0) continue;
            count++;
            var records = generator.Generate(ImageIO.Load(item.Path));
            masksSum += records.Count;
            objects += gts.Count;
            if (records.Count == 0) continue;
            var gt = torch.stack(gts.Select(m => torch.tensor(m).to(ScalarType.Float32)).ToArray());     // N x HW
            var m = torch.stack(records.Select(r => torch.tensor(RleEncoding.Decode(r.Segmentation)).to(ScalarType.Float32)).ToArray());
            var inter = m.matmul(gt.t());
            var best = (inter / (m.sum(1, keepdim: true) + gt.sum(1).unsqueeze(0) - inter).clamp_min(1)).max(0).values;
            hit += (int)(best >= 0.5f).sum().item<long>();
            bestSum += best.sum().item<float>();
        }
        double Of(double s) => objects == 0 ? double.NaN : s / objects;
        return new SamEverythingScore(count, objects, config.PointsPerSide ?? 0, Of(hit), Of(bestSum), count == 0 ? double.NaN : masksSum / count);
    }

    /// <summary>Encodes the image and returns its non-empty object masks (N x H x W float and as arrays).</summary>
    static (Tensor Gt, List<bool[]> Masks) SetImage(SamPredictor predictor, InstanceImage item)
    {
        predictor.SetImage(ImageIO.Load(item.Path));
        var masks = item.Masks.Select(RleEncoding.Decode).Where(m => Array.IndexOf(m, true) >= 0).ToList();
        int h = predictor.OriginalSize.H, w = predictor.OriginalSize.W;
        var gt = masks.Count == 0 ? torch.zeros(0, h, w)
            : torch.stack(masks.Select(m => torch.tensor(m, [h, w]).to(ScalarType.Float32)).ToArray());
        return (gt, masks);
    }
}
