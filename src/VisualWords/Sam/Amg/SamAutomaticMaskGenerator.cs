using System.Diagnostics;
using VisualWords.Imaging;
using static TorchSharp.torch;

namespace VisualWords.Sam.Amg;

/// <summary>
/// SAM's everything mode, equal to the official <c>SamAutomaticMaskGenerator</c>: a grid of point
/// prompts per crop, multimask decoding, predicted-IoU and stability filtering, removal of masks cut
/// by a crop edge, box NMS within and across crops, optional hole/island clean-up.
/// The whole-image embedding can be passed in, so the encoder that the [SEG] decoder needs anyway
/// runs once per image; only extra crop layers encode their crops.
/// One deliberate difference in work, not result: the predicted-IoU filter runs on the low-res
/// logits before upscaling (the IoU head does not depend on the upscaling), so rejected masks are
/// never upscaled to full size.
/// </summary>
public sealed class SamAutomaticMaskGenerator
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

    /// <summary>Where the time of the last <see cref="Generate(int, int, Func{CropBox, Tensor})"/> went.</summary>
    public AmgTimings LastTimings { get; private set; } = new();

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
        var crops = CropBoxes.Generate(height, width, Config.CropNLayers, Config.CropOverlapRatio);
        var all = new List<Candidate>();
        foreach (var crop in crops)
        {
            var clock = Stopwatch.StartNew();
            using (var emb = cropEmbedding(crop)) _predictor.SetEmbedding(emb, (crop.Height, crop.Width));
            LastTimings.Encoder += clock.Elapsed.TotalSeconds;
            clock.Restart();
            using (var decoder = ShareImageWork ? new PointPromptDecoder(Model, _predictor.Embedding) : null)
            {
                LastTimings.Decoder += clock.Elapsed.TotalSeconds;
                all.AddRange(ProcessCrop(crop, height, width, decoder));
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

        return all.Select(c => new SamMaskRecord(c.Rle, c.Rle.Area,
            [c.Box[0], c.Box[1], c.Box[2] - c.Box[0], c.Box[3] - c.Box[1]],
            c.Iou, [c.X, c.Y], c.Stability, c.Crop.Xywh, c.MultimaskIndex, c.Level)).ToList();
    }

    /// <summary>A mask that survived the per-batch filters, in the image frame.</summary>
    sealed record Candidate(MaskRle Rle, long[] Box, float Iou, double X, double Y, float Stability, CropBox Crop, int MultimaskIndex, int Level);

    List<Candidate> ProcessCrop(CropBox crop, int imageH, int imageW, PointPromptDecoder? decoder)
    {
        using var scope = NewDisposeScope();
        int size = Model.Config.ImageSize;
        var (newH, newW) = ResizeLongestSide.GetPreprocessShape(crop.Height, crop.Width, size);
        // Prompt points in the crop's pixels, then in the resized model input (float64 like the reference).
        var points = _grids[crop.Layer] * tensor(new double[] { crop.Width, crop.Height });
        var input = (points * tensor(new double[] { (double)newW / crop.Width, (double)newH / crop.Height })).to(ScalarType.Float32);

        var found = new List<Candidate>();
        var pointBatches = BatchIterator.Batches(points, Config.PointsPerBatch).Zip(BatchIterator.Batches(input, Config.PointsPerBatch));
        foreach (var (pts, inp) in pointBatches)
            found.AddRange(ProcessBatch(pts, inp, crop, imageH, imageW, decoder));
        if (found.Count == 0) return found;

        // Duplicates within the crop: keep the higher predicted IoU.
        var clock = Stopwatch.StartNew();
        var kept = Select(found, Nms(found, found.Select(c => c.Iou).ToArray(), Config.BoxNmsThresh));
        LastTimings.Nms += clock.Elapsed.TotalSeconds;
        // To the image frame.
        return kept.Select(c => c with
        {
            Box = [c.Box[0] + crop.X0, c.Box[1] + crop.Y0, c.Box[2] + crop.X0, c.Box[3] + crop.Y0],
            X = c.X + crop.X0,
            Y = c.Y + crop.Y0,
        }).ToList();
    }

    List<Candidate> ProcessBatch(Tensor points, Tensor inputPoints, CropBox crop, int imageH, int imageW, PointPromptDecoder? decoder)
    {
        using var scope = NewDisposeScope();
        long b = points.shape[0];
        var clock = Stopwatch.StartNew();
        Tensor lowRes, iouPred;
        if (decoder is not null) (lowRes, iouPred) = decoder.Decode(inputPoints);
        else lowRes = _predictor.PredictLowRes(inputPoints.unsqueeze(1), ones([b, 1], ScalarType.Int64), null, null,
            multimaskOutput: true, extraSparse: null, out iouPred);
        LastTimings.Decoder += clock.Elapsed.TotalSeconds;
        LastTimings.Prompts += b;
        long outputs = lowRes.shape[1];
        var lowFlat = lowRes.flatten(0, 1);
        var iouFlat = iouPred.flatten().to(ScalarType.Float32);

        // Levels from each point's outputs before any filtering (area on the low-res logits).
        var lowAreas = (lowRes > SamModel.MaskThreshold).sum([-1, -2]).to(ScalarType.Int64).cpu().data<long>().ToArray();

        var keep = Config.PredIouThresh > 0 ? (iouFlat > Config.PredIouThresh).nonzero().squeeze(1) : arange(lowFlat.shape[0]);
        var found = new List<Candidate>();
        var keepIdx = keep.data<long>().ToArray();
        var pointXy = points.contiguous().data<double>().ToArray();
        var iouAll = iouFlat.cpu().data<float>().ToArray();
        foreach (var chunk in BatchIterator.Batches(keepIdx, UpscaleChunk))
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
            clock.Restart();
            var selIdx = sel.data<long>().ToArray();
            var rles = MaskRle.Encode(CropEdges.UncropMasks(masks.index_select(0, sel), crop, imageH, imageW));
            LastTimings.Rle += clock.Elapsed.TotalSeconds;
            var boxArr = boxes.index_select(0, sel).contiguous().data<long>().ToArray();
            var stab = stability.index_select(0, sel).data<float>().ToArray();
            for (int j = 0; j < selIdx.Length; j++)
            {
                long flat = chunk[(int)selIdx[j]];
                int point = (int)(flat / outputs), output = (int)(flat % outputs);
                int level = MultimaskLevel.FromAreas(output, lowAreas.AsSpan((int)(point * outputs), (int)outputs));
                found.Add(new Candidate(rles[j], boxArr[(4 * j)..(4 * j + 4)], iouAll[flat], pointXy[2 * point], pointXy[2 * point + 1],
                    stab[j], crop, output, level));
            }
        }
        return found;
    }

    List<Candidate> RemoveSmallRegions(List<Candidate> all, int h, int w, double nmsThresh)
    {
        var cleaned = new List<(bool[] Mask, bool Unchanged)>();
        foreach (var c in all)
        {
            var mask = c.Rle.ToArray();
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
            return c with { Rle = MaskRle.FromArray(cleaned[(int)i].Mask, h, w), Box = boxArr[(4 * (int)i)..(4 * (int)i + 4)] };
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
