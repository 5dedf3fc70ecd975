using System.Diagnostics;
using static TorchSharp.torch;

namespace VisualWords.Sam.Amg;

/// <summary>
/// Fast everything mode (<see cref="AmgMode.Fast"/>). What a partition needs is one mask per thing, not
/// one per grid point, so:
/// <list type="number">
/// <item>prompts follow <see cref="CoarseToFine.Levels"/>: a sparse lattice first, then each finer
///   lattice's points only where no mask kept so far covers them (<see cref="CoverageMap"/> on the
///   low-res masks); a point on a thing that already has a mask would mostly add duplicates for NMS.
///   Covered means inside the confident core (logit above the stability offset) of kept masks, with a
///   margin around the point, so small things a coarse mask bleeds over still get their own prompt.
///   At most <see cref="AutomaticMaskGeneratorConfig.FastMaxPrompts"/> prompts per crop: when a level's
///   uncovered points exceed what is left, the farthest from all earlier prompts go first;</item>
/// <item>filters run on the low-res logits (the valid, unpadded part): predicted IoU (as exact),
///   stability score on the low-res logits instead of the upscaled ones, crop-edge test and box NMS
///   with low-res boxes scaled to the crop; NMS prunes the kept masks after each level;</item>
/// <item>only the final survivors are upscaled, get exact boxes (and a second crop-edge test) and RLE.</item>
/// </list>
/// Records keep the official fields; their stability score is the low-res one.
/// </summary>
public sealed partial class SamAutomaticMaskGenerator
{
    /// <summary>A fast-mode mask before upscaling: its low-res logits (1 × h × w, padded input frame) and low-res scores.</summary>
    sealed record LowResCandidate(Tensor Logits, float Iou, float Stability, long[] Box, double X, double Y, int MultimaskIndex, int Level);

    List<Candidate> ProcessCropFast(CropBox crop, int imageH, int imageW, PointPromptDecoder decoder)
    {
        using var scope = NewDisposeScope();
        var (points, input) = PromptPoints(crop);
        var pointXy = points.contiguous().data<double>().ToArray();
        var inputXy = input.contiguous().data<float>().ToArray();
        int count = (int)points.shape[0], n = (int)Math.Round(Math.Sqrt(count));
        var levels = Config.PointGrids is null && n * n == count
            ? CoarseToFine.Levels(n, Config.FastCoarseStride)
            : [Enumerable.Range(0, count).ToArray()];   // explicit grids have no lattice: one level
        var frame = new FastFrame(this, crop, imageH, imageW);
        var kept = new List<LowResCandidate>();
        try
        {
            var prompted = new List<double>();
            foreach (var level in levels)
            {
                var todo = level.Where(i => !frame.Covered(inputXy[2 * i], inputXy[2 * i + 1])).ToArray();
                int left = Config.FastMaxPrompts > 0 ? Config.FastMaxPrompts - prompted.Count / 2 : int.MaxValue;
                if (left <= 0) break;
                if (todo.Length > left)
                {
                    var xy = todo.SelectMany(i => new double[] { inputXy[2 * i], inputXy[2 * i + 1] }).ToArray();
                    todo = CoarseToFine.FarthestFirst(xy, prompted.ToArray(), left).Select(k => todo[k]).Order().ToArray();
                }
                foreach (var i in todo) { prompted.Add(inputXy[2 * i]); prompted.Add(inputXy[2 * i + 1]); }
                foreach (var batch in BatchIterator.Batches(todo, Config.PointsPerBatch))
                {
                    using var idx = tensor(batch.Select(i => (long)i).ToArray());
                    using var inp = input.index_select(0, idx);
                    kept.AddRange(FastBatch(inp, batch, pointXy, frame, decoder));
                    ReportProgress();
                }
                kept = PruneByNms(kept);
            }
            return ToImageFrame(UpscaleSurvivors(kept, crop, imageH, imageW), crop);
        }
        finally
        {
            foreach (var c in kept) c.Logits.Dispose();
        }
    }

    /// <summary>The low-res geometry of one crop and the coverage of its kept masks.</summary>
    sealed class FastFrame(SamAutomaticMaskGenerator owner, CropBox crop, int imageH, int imageW)
    {
        public CropBox Crop { get; } = crop;
        public int ImageH { get; } = imageH;
        public int ImageW { get; } = imageW;
        /// <summary>Low-res pixels per input pixel (1/4 for SAM), known after the first decoded batch.</summary>
        public double Scale { get; private set; }
        public CoverageMap? Coverage { get; private set; }
        public long ValidH { get; private set; }
        public long ValidW { get; private set; }

        public void Init(long lowH)
        {
            if (Coverage is not null) return;
            int size = owner.Model.Config.ImageSize;
            var (inH, inW) = owner._predictor.InputSize;
            Scale = (double)lowH / size;
            ValidH = (long)Math.Ceiling(inH * Scale);
            ValidW = (long)Math.Ceiling(inW * Scale);
            Coverage = new CoverageMap((int)ValidH, (int)ValidW);
        }

        public bool Covered(double inputX, double inputY) =>
            Coverage is { } c && c.Covered(inputX * Scale, inputY * Scale, owner.Config.FastCoverageMargin);

        /// <summary>XYXY low-res boxes [N, 4] → crop pixels (outer pixel edges, so a box never shrinks).</summary>
        public Tensor ToCropPixels(Tensor lowBoxes)
        {
            var (inH, inW) = owner._predictor.InputSize;
            double sx = Crop.Width / (inW * Scale), sy = Crop.Height / (inH * Scale);
            using var scale = tensor(new double[] { sx, sy, sx, sy });
            using var shift = tensor(new double[] { 0, 0, 1, 1 });
            using var f = lowBoxes.to(ScalarType.Float64);
            using var edges = (f + shift) * scale;
            using var lo = edges.floor();
            using var hi = edges.ceil() - shift;
            using var max = tensor(new double[] { Crop.Width - 1, Crop.Height - 1, Crop.Width - 1, Crop.Height - 1 });
            using var pick = tensor(new[] { true, true, false, false });
            using var chosen = where(pick, lo, hi);
            using var clamped = chosen.clamp_min(0).minimum(max);
            return clamped.to(ScalarType.Int64);
        }
    }

    List<LowResCandidate> FastBatch(Tensor inputPoints, ArraySegment<int> batch, double[] pointXy, FastFrame frame, PointPromptDecoder decoder)
    {
        using var scope = NewDisposeScope();
        var (lowRes, iouAll, live) = DecodeBatch(inputPoints, decoder);
        var found = new List<LowResCandidate>();
        if (live.Length == 0) return found;
        var clock = Stopwatch.StartNew();
        long outputs = iouAll.Length / batch.Count;
        frame.Init(lowRes.shape[2]);
        var lowAreas = (lowRes > SamModel.MaskThreshold).sum([-1, -2]).to(ScalarType.Int64).data<long>().ToArray();
        var valid = lowRes.narrow(2, 0, frame.ValidH).narrow(3, 0, frame.ValidW).flatten(0, 1);   // L·outputs × vh × vw
        var stability = StabilityScore.Calculate(valid, SamModel.MaskThreshold, Config.StabilityScoreOffset);
        var masks = valid > SamModel.MaskThreshold;
        // Coverage counts only a mask's confident core (the inner mask of its stability score): a point
        // near its edge, e.g. on a small object the low-res mask bleeds over, is still prompted.
        var confident = valid > SamModel.MaskThreshold + Config.StabilityScoreOffset;
        var boxes = frame.ToCropPixels(MaskBoxes.BatchedMaskToBox(masks));
        var ok = Config.StabilityScoreThresh > 0 ? stability >= Config.StabilityScoreThresh : ones_like(stability, ScalarType.Bool);
        ok = ok.logical_and(CropEdges.IsBoxNearCropEdge(boxes, frame.Crop, frame.ImageH, frame.ImageW).logical_not());
        var okArr = ok.data<bool>().ToArray();
        var stab = stability.data<float>().ToArray();
        var boxArr = boxes.contiguous().data<long>().ToArray();
        var lowFlat = lowRes.flatten(0, 1);
        for (int row = 0; row < okArr.Length; row++)
        {
            int l = (int)(row / outputs), output = (int)(row % outputs), point = batch[(int)live[l]];
            float iou = iouAll[live[l] * outputs + output];
            if (!okArr[row] || (Config.PredIouThresh > 0 && !(iou > Config.PredIouThresh))) continue;
            frame.Coverage!.Add(confident[row].contiguous().data<bool>().ToArray());
            int level = MultimaskLevel.FromAreas(output, lowAreas.AsSpan((int)(l * outputs), (int)outputs));
            var logits = lowFlat[row].unsqueeze(0).clone();
            found.Add(new LowResCandidate(logits.MoveToOuterDisposeScope(), iou, stab[row], boxArr[(4 * row)..(4 * row + 4)],
                pointXy[2 * point], pointXy[2 * point + 1], output, level));
        }
        LastTimings.Filters += clock.Elapsed.TotalSeconds;
        return found;
    }

    /// <summary>Box NMS among the kept low-res candidates (higher predicted IoU wins); frees the dropped logits.</summary>
    List<LowResCandidate> PruneByNms(List<LowResCandidate> kept)
    {
        if (kept.Count < 2) return kept;
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        var boxes = tensor(kept.SelectMany(c => c.Box).Select(v => (float)v).ToArray(), [kept.Count, 4]);
        var keep = BoxNms.Nms(boxes, tensor(kept.Select(c => c.Iou).ToArray()), Config.BoxNmsThresh).data<long>().ToArray();
        var survivors = keep.Select(i => kept[(int)i]).ToList();
        var set = keep.ToHashSet();
        for (int i = 0; i < kept.Count; i++)
            if (!set.Contains(i)) kept[i].Logits.Dispose();
        LastTimings.Nms += clock.Elapsed.TotalSeconds;
        return survivors;
    }

    /// <summary>Upscales the survivors to the crop, with exact boxes, the crop-edge test on them, and RLE.</summary>
    List<Candidate> UpscaleSurvivors(List<LowResCandidate> kept, CropBox crop, int imageH, int imageW)
    {
        var found = new List<Candidate>();
        var clock = new Stopwatch();
        foreach (var chunk in BatchIterator.Batches(kept.ToArray(), UpscaleChunk))
        {
            using var scope = NewDisposeScope();
            clock.Restart();
            var low = stack(chunk.Select(c => c.Logits).ToArray());                     // C × 1 × h × w
            var logits = Model.PostprocessMasks(low, _predictor.InputSize, (crop.Height, crop.Width)).squeeze(1);
            LastTimings.Upscale += clock.Elapsed.TotalSeconds;
            clock.Restart();
            var masks = logits > SamModel.MaskThreshold;
            var boxes = MaskBoxes.BatchedMaskToBox(masks);
            var sel = CropEdges.IsBoxNearCropEdge(boxes, crop, imageH, imageW).logical_not().nonzero().squeeze(1);
            LastTimings.Filters += clock.Elapsed.TotalSeconds;
            if (sel.numel() == 0) continue;
            var (selIdx, rles, boxArr) = EncodeSelected(masks, boxes, sel, crop, imageH, imageW);
            for (int j = 0; j < selIdx.Length; j++)
            {
                var c = chunk[(int)selIdx[j]];
                found.Add(new Candidate(rles[j], boxArr[(4 * j)..(4 * j + 4)], c.Iou, c.X, c.Y, c.Stability, crop, c.MultimaskIndex, c.Level));
            }
        }
        return found;
    }
}
