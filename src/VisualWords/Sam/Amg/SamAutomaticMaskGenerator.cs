using System.Diagnostics;
using VisualWords.Data;
using VisualWords.Imaging;
using static TorchSharp.torch;

namespace VisualWords.Sam.Amg;

/// <summary>
/// SAM's everything mode, equal to the official <c>SamAutomaticMaskGenerator</c>: a grid of point
/// prompts per crop, multimask decoding, predicted-IoU and stability filtering, removal of masks cut
/// by a crop edge, box NMS within and across crops, optional hole/island clean-up.
/// The whole-image embedding can be passed in, so the encoder that the [SEG] decoder needs anyway
/// runs once per image; only extra crop layers encode their crops.
/// Deliberate differences in work, not result: the IoU head reads only the decoder's output tokens, so
/// the predicted-IoU filter runs right after the two-way transformer; a prompt none of whose outputs
/// passes it never runs the upscaling convolutions, and rejected masks are never upscaled to full size.
/// Only the survivors of each prompt batch are kept (as RLE), so memory is bounded by the batch size,
/// not the grid. <see cref="AmgMode.Fast"/> trades exactness for fewer prompts (see the Fast file).
/// </summary>
public sealed partial class SamAutomaticMaskGenerator
{
    // Masks upscaled to the crop size at once: bounds the float logits held in memory.
    const int UpscaleChunk = 32;

    readonly SamPredictor _predictor;
    readonly List<Tensor> _grids;

    public AutomaticMaskGeneratorConfig Config { get; }
    public SamModel Model => _predictor.Model;

    /// <summary>
    /// Decode with <see cref="PointPromptDecoder"/>, which computes the prompt-independent image-side work
    /// once per crop (default); false runs the generic <see cref="SamPredictor.PredictLowRes"/> per batch.
    /// Same results either way (to float rounding); the switch exists for the benchmark.
    /// </summary>
    public bool ShareImageWork { get; set; } = true;

    /// <summary>
    /// Prompts that go through the shared decoder at once. Every image-side tensor of the decoder is
    /// B × 4096 × 256 floats (4 MB per prompt at SAM's sizes, 8 MB for the upscaling activations), so
    /// this, not the grid and not <see cref="AutomaticMaskGeneratorConfig.PointsPerBatch"/>, bounds the
    /// decoder's memory. Every op is per prompt, so the records do not depend on it (tests check).
    /// </summary>
    public int PromptChunk
    {
        get => _promptChunk;
        set => _promptChunk = value >= 1 ? value : throw new BadInputException($"prompt chunk must be at least 1 (got {value})");
    }
    int _promptChunk = DefaultPromptChunk;

    public const int DefaultPromptChunk = 16;

    /// <summary>Where the time of the last <see cref="Generate(int, int, Func{CropBox, Tensor})"/> went.</summary>
    public AmgTimings LastTimings { get; private set; } = new();

    /// <summary>Called after every prompt batch (for a progress display on long runs).</summary>
    public Action<AmgProgress>? Progress { get; set; }

    long _plannedPrompts;
    Stopwatch _runClock = new();

    void ReportProgress() => Progress?.Invoke(new AmgProgress(LastTimings.Prompts, _plannedPrompts, _runClock.Elapsed.TotalSeconds, LastTimings));

    public SamAutomaticMaskGenerator(SamModel model, AutomaticMaskGeneratorConfig? config = null)
    {
        Config = config ?? new AutomaticMaskGeneratorConfig();
        Config.Validate();
        _predictor = new SamPredictor(model);
        _grids = Config.PointsPerSide is int n
            ? PointGrids.BuildAllLayerPointGrids(n, Config.CropNLayers, Config.CropNPointsDownscaleFactor)
            : Config.PointGrids!.Select(g => g.to(ScalarType.Float64).reshape(-1, 2)).ToList();
    }

    /// <summary>Runs the image encoder on the image (and on every crop) and generates masks.</summary>
    public List<SamMaskRecord> Generate(RgbImage image) => Generate(image, imageEmbedding: null);

    /// <summary>
    /// Generates masks re-using <paramref name="imageEmbedding"/> (1 × C × h × w, from
    /// <see cref="SamPredictor.SetImage"/> or the full model) for the whole-image crop. With crop layers
    /// the crops are encoded from <paramref name="image"/>.
    /// </summary>
    public List<SamMaskRecord> Generate(RgbImage image, Tensor? imageEmbedding) =>
        Generate(image.Height, image.Width, crop =>
        {
            if (imageEmbedding is not null && crop.IsWholeImage(image.Height, image.Width)) return imageEmbedding.alias();
            _predictor.SetImage(Crop(image, crop));
            return _predictor.Embedding.alias();
        });

    /// <summary>
    /// The core: <paramref name="cropEmbedding"/> gives the embedding of each crop of an
    /// <paramref name="height"/> × <paramref name="width"/> image (the generator disposes what it returns).
    /// </summary>
    public List<SamMaskRecord> Generate(int height, int width, Func<CropBox, Tensor> cropEmbedding)
    {
        using var _ = no_grad();
        LastTimings = new AmgTimings();
        var total = Stopwatch.StartNew();
        _runClock = total;
        var crops = CropBoxes.Generate(height, width, Config.CropNLayers, Config.CropOverlapRatio);
        _plannedPrompts = crops.Sum(c => _grids[c.Layer].shape[0]);
        var all = new List<Candidate>();
        foreach (var crop in crops)
        {
            var clock = Stopwatch.StartNew();
            using (var emb = cropEmbedding(crop)) _predictor.SetEmbedding(emb, (crop.Height, crop.Width));
            LastTimings.Encoder += clock.Elapsed.TotalSeconds;
            clock.Restart();
            bool fast = Config.Mode == AmgMode.Fast;
            using (var decoder = ShareImageWork || fast ? new PointPromptDecoder(Model, _predictor.Embedding) : null)
            {
                LastTimings.Decoder += clock.Elapsed.TotalSeconds;
                all.AddRange(fast ? ProcessCropFast(crop, height, width, decoder!) : ProcessCrop(crop, height, width, decoder));
            }
            _predictor.ResetImage();
        }
        var post = Stopwatch.StartNew();

        if (crops.Count > 1 && all.Count > 0)
        {
            // Duplicates between crops: prefer the mask from the smaller crop.
            var scores = all.Select(c => 1f / ((long)c.Crop.Width * c.Crop.Height)).ToArray();
            all = Select(all, Nms(all, scores, Config.CropNmsThresh));
        }
        if (Config.MinMaskRegionArea > 0 && all.Count > 0)
            all = RemoveSmallRegions(all, height, width, Math.Max(Config.BoxNmsThresh, Config.CropNmsThresh));
        LastTimings.Postprocess += post.Elapsed.TotalSeconds;
        LastTimings.Total = total.Elapsed.TotalSeconds;

        return all.Select(c => new SamMaskRecord(c.Rle, RleOps.Area(c.Rle),
            [c.Box[0], c.Box[1], c.Box[2] - c.Box[0], c.Box[3] - c.Box[1]],
            c.Iou, [c.X, c.Y], c.Stability, c.Crop.Xywh, c.MultimaskIndex, c.Level)).ToList();
    }

    /// <summary>A mask that survived the per-batch filters, in the image frame.</summary>
    sealed record Candidate(Rle Rle, long[] Box, float Iou, double X, double Y, float Stability, CropBox Crop, int MultimaskIndex, int Level);

    List<Candidate> ProcessCrop(CropBox crop, int imageH, int imageW, PointPromptDecoder? decoder)
    {
        using var scope = NewDisposeScope();
        var (points, input) = PromptPoints(crop);
        var found = new List<Candidate>();
        var pointBatches = BatchIterator.Batches(points, Config.PointsPerBatch).Zip(BatchIterator.Batches(input, Config.PointsPerBatch));
        foreach (var (pts, inp) in pointBatches)
        {
            found.AddRange(ProcessBatch(pts, inp, crop, imageH, imageW, decoder));
            ReportProgress();
        }
        if (found.Count == 0) return found;

        // Duplicates within the crop: keep the higher predicted IoU.
        var clock = Stopwatch.StartNew();
        var kept = Select(found, Nms(found, found.Select(c => c.Iou).ToArray(), Config.BoxNmsThresh));
        LastTimings.Nms += clock.Elapsed.TotalSeconds;
        return ToImageFrame(kept, crop);
    }

    /// <summary>The crop's prompt points in its own pixels and in the resized model input (float64 like the reference, then float32).</summary>
    (Tensor Points, Tensor Input) PromptPoints(CropBox crop)
    {
        var (newH, newW) = ResizeLongestSide.GetPreprocessShape(crop.Height, crop.Width, Model.Config.ImageSize);
        var points = _grids[crop.Layer] * tensor(new double[] { crop.Width, crop.Height });
        var input = (points * tensor(new double[] { (double)newW / crop.Width, (double)newH / crop.Height })).to(ScalarType.Float32);
        return (points, input);
    }

    static List<Candidate> ToImageFrame(List<Candidate> kept, CropBox crop) =>
        kept.Select(c => c with
        {
            Box = [c.Box[0] + crop.X0, c.Box[1] + crop.Y0, c.Box[2] + crop.X0, c.Box[3] + crop.Y0],
            X = c.X + crop.X0,
            Y = c.Y + crop.Y0,
        }).ToList();

    List<Candidate> ProcessBatch(Tensor points, Tensor inputPoints, CropBox crop, int imageH, int imageW, PointPromptDecoder? decoder)
    {
        using var scope = NewDisposeScope();
        var (lowRes, iouAll, live) = DecodeBatch(inputPoints, decoder);
        if (live.Length == 0) return [];
        long outputs = iouAll.Length / points.shape[0];
        // Levels from each point's outputs before any filtering (area on the low-res logits).
        var lowAreas = (lowRes > SamModel.MaskThreshold).sum([-1, -2]).to(ScalarType.Int64).cpu().data<long>().ToArray();
        // (live point, output) pairs that pass the predicted-IoU filter, as rows of lowRes.flatten(0, 1).
        var keepIdx = new List<long>();
        for (int l = 0; l < live.Length; l++)
            for (int o = 0; o < outputs; o++)
                if (Config.PredIouThresh <= 0 || iouAll[live[l] * outputs + o] > Config.PredIouThresh) keepIdx.Add(l * outputs + o);
        var lowFlat = lowRes.flatten(0, 1);
        var pointXy = points.contiguous().data<double>().ToArray();
        var found = new List<Candidate>();
        var clock = new Stopwatch();
        foreach (var chunk in BatchIterator.Batches(keepIdx.ToArray(), UpscaleChunk))
        {
            using var inner = NewDisposeScope();
            clock.Restart();
            var idx = tensor(chunk.ToArray());
            var logits = Model.PostprocessMasks(lowFlat.index_select(0, idx).unsqueeze(1), _predictor.InputSize, (crop.Height, crop.Width)).squeeze(1);
            LastTimings.Upscale += clock.Elapsed.TotalSeconds;
            clock.Restart();
            var stability = StabilityScore.Calculate(logits, SamModel.MaskThreshold, Config.StabilityScoreOffset);
            var ok = Config.StabilityScoreThresh > 0 ? stability >= Config.StabilityScoreThresh : ones_like(stability, ScalarType.Bool);
            var masks = logits > SamModel.MaskThreshold;
            var boxes = MaskBoxes.BatchedMaskToBox(masks);
            ok = ok.logical_and(CropEdges.IsBoxNearCropEdge(boxes, crop, imageH, imageW).logical_not());
            var sel = ok.nonzero().squeeze(1);
            LastTimings.Filters += clock.Elapsed.TotalSeconds;
            if (sel.numel() == 0) continue;
            var (selIdx, rles, boxArr) = EncodeSelected(masks, boxes, sel, crop, imageH, imageW);
            var stab = stability.index_select(0, sel).data<float>().ToArray();
            for (int j = 0; j < selIdx.Length; j++)
            {
                long row = chunk[(int)selIdx[j]];
                int l = (int)(row / outputs), output = (int)(row % outputs), point = (int)live[l];
                int level = MultimaskLevel.FromAreas(output, lowAreas.AsSpan((int)(l * outputs), (int)outputs));
                found.Add(new Candidate(rles[j], boxArr[(4 * j)..(4 * j + 4)], iouAll[point * outputs + output], pointXy[2 * point], pointXy[2 * point + 1],
                    stab[j], crop, output, level));
            }
        }
        return found;
    }

    /// <summary>
    /// The selected rows of a chunk of crop-frame masks as image-frame RLE, with their boxes (XYXY, crop
    /// frame, flattened) and their row indices.
    /// </summary>
    (long[] Rows, List<Rle> Rles, long[] Boxes) EncodeSelected(Tensor masks, Tensor boxes, Tensor sel, CropBox crop, int imageH, int imageW)
    {
        var clock = Stopwatch.StartNew();
        var rles = RleEncoding.EncodeBatch(CropEdges.UncropMasks(masks.index_select(0, sel), crop, imageH, imageW));
        LastTimings.Rle += clock.Elapsed.TotalSeconds;
        return (sel.data<long>().ToArray(), rles, boxes.index_select(0, sel).contiguous().data<long>().ToArray());
    }

    /// <summary>
    /// Decodes one prompt batch: IoU predictions of every prompt (B × outputs, flattened) and low-res
    /// logits (L × outputs × h × w) of the live prompts only — those with an output that passes the
    /// predicted-IoU filter (every prompt when the filter is off or the generic decoder runs).
    /// </summary>
    (Tensor LowRes, float[] Iou, long[] Live) DecodeBatch(Tensor inputPoints, PointPromptDecoder? decoder)
    {
        long b = inputPoints.shape[0];
        var clock = Stopwatch.StartNew();
        try
        {
            LastTimings.Prompts += b;
            if (decoder is null)
            {
                var generic = _predictor.PredictLowRes(inputPoints.unsqueeze(1), ones([b, 1], ScalarType.Int64), null, null,
                    multimaskOutput: true, extraSparse: null, out var iouPred);
                return (generic, iouPred.to(ScalarType.Float32).cpu().flatten().data<float>().ToArray(), Enumerable.Range(0, (int)b).Select(i => (long)i).ToArray());
            }
            var iouParts = new List<float>();
            var liveParts = new List<long>();
            var masks = new List<Tensor>();
            for (long start = 0; start < b; start += PromptChunk)
            {
                using var chunk = inputPoints.narrow(0, start, Math.Min(PromptChunk, b - start));
                using var attended = decoder.Attend(chunk);
                using var iou = attended.Iou.to(ScalarType.Float32).cpu();
                iouParts.AddRange(iou.flatten().data<float>().ToArray());
                using var liveMask = Config.PredIouThresh > 0 ? (iou > Config.PredIouThresh).any(1) : ones(iou.shape[0], ScalarType.Bool);
                using var liveIdx = liveMask.nonzero();
                if (liveIdx.numel() == 0) continue;
                var live = liveIdx.flatten().data<long>().ToArray();
                liveParts.AddRange(live.Select(i => i + start));
                masks.Add(LiveMasks(decoder, attended, live));
            }
            var lowRes = masks.Count switch { 0 => empty([0, 1, 1, 1]), 1 => masks[0], _ => cat(masks, 0) };
            if (masks.Count > 1) foreach (var m in masks) m.Dispose();
            return (lowRes, iouParts.ToArray(), liveParts.ToArray());
        }
        finally
        {
            LastTimings.Decoder += clock.Elapsed.TotalSeconds;
        }
    }

    /// <summary>Low-res logits of the <paramref name="live"/> prompts of <paramref name="attended"/>.</summary>
    static Tensor LiveMasks(PointPromptDecoder decoder, AttendedPrompts attended, long[] live)
    {
        if (live.Length == attended.Keys.shape[0]) return decoder.Masks(attended.Queries, attended.Keys);
        using var idx = tensor(live);
        using var q = attended.Queries.index_select(0, idx);
        using var k = attended.Keys.index_select(0, idx);
        return decoder.Masks(q, k);
    }

    List<Candidate> RemoveSmallRegions(List<Candidate> all, int h, int w, double nmsThresh)
    {
        var cleaned = new List<(bool[] Mask, bool Unchanged)>();
        foreach (var c in all)
        {
            var mask = RleEncoding.Decode(c.Rle);
            var (m1, changedHoles) = SmallRegions.Remove(mask, h, w, Config.MinMaskRegionArea, SmallRegionMode.Holes);
            var (m2, changedIslands) = SmallRegions.Remove(m1, h, w, Config.MinMaskRegionArea, SmallRegionMode.Islands);
            cleaned.Add((m2, !changedHoles && !changedIslands));
        }
        // Re-run NMS on the new boxes, preferring masks that needed no clean-up.
        using var scope = NewDisposeScope();
        var masks = stack(cleaned.Select(c => tensor(c.Mask, [h, w])).ToArray());
        var boxes = MaskBoxes.BatchedMaskToBox(masks);
        var keep = BoxNms.Nms(boxes.to(ScalarType.Float32), tensor(cleaned.Select(c => c.Unchanged ? 1f : 0f).ToArray()), nmsThresh)
            .data<long>().ToArray();
        var boxArr = boxes.contiguous().data<long>().ToArray();
        return keep.Select(i =>
        {
            var c = all[(int)i];
            if (cleaned[(int)i].Unchanged) return c;
            return c with { Rle = RleEncoding.Encode(cleaned[(int)i].Mask, h, w), Box = boxArr[(4 * (int)i)..(4 * (int)i + 4)] };
        }).ToList();
    }

    static long[] Nms(List<Candidate> items, float[] scores, double thresh)
    {
        using var scope = NewDisposeScope();
        var boxes = tensor(items.SelectMany(c => c.Box).Select(v => (float)v).ToArray(), [items.Count, 4]);
        return BoxNms.Nms(boxes, tensor(scores), thresh).data<long>().ToArray();
    }

    static List<Candidate> Select(List<Candidate> items, long[] idx) => idx.Select(i => items[(int)i]).ToList();

    /// <summary>The pixels of <paramref name="crop"/> as a new image.</summary>
    public static RgbImage Crop(RgbImage image, CropBox crop)
    {
        if (crop.IsWholeImage(image.Height, image.Width)) return image;
        var px = new byte[crop.Width * crop.Height * 3];
        for (int y = 0; y < crop.Height; y++)
            Array.Copy(image.Pixels, ((crop.Y0 + y) * image.Width + crop.X0) * 3, px, y * crop.Width * 3, crop.Width * 3);
        return new RgbImage(crop.Width, crop.Height, px);
    }
}
