using TorchSharp;
using VisualWords.Imaging;
using static TorchSharp.torch;

namespace VisualWords.Sam;

/// <summary>A click in original image pixels; Label 1 = foreground, 0 = background.</summary>
public readonly record struct SamPoint(double X, double Y, int Label = 1);

/// <summary>A box (x0, y0, x1, y1) in original image pixels.</summary>
public readonly record struct SamBox(double X0, double Y0, double X1, double Y1);

/// <summary>
/// Masks for B prompts with C outputs each. Masks: B x C x H x W at the original size (bool, or
/// float logits when asked for); IouPredictions: B x C; LowResLogits: B x C x 4h x 4w (feed one
/// back as a mask input). Owns its tensors.
/// </summary>
public sealed record SamPrediction(Tensor Masks, Tensor IouPredictions, Tensor LowResLogits) : IDisposable
{
    public void Dispose()
    {
        Masks.Dispose();
        IouPredictions.Dispose();
        LowResLogits.Dispose();
    }
}

/// <summary>
/// Stateful SAM inference: set an image once (the encoder runs, the embedding is cached), then
/// predict many times from points, boxes and mask inputs. The embedding can also come from
/// elsewhere (<see cref="SetEmbedding"/>): the superpixel generator and the [SEG] decoder share it.
/// </summary>
public sealed class SamPredictor : IDisposable
{
    Tensor? _embedding;

    public SamModel Model { get; }
    public bool IsImageSet => _embedding is not null;

    /// <summary>(H, W) of the image given to <see cref="SetImage"/>.</summary>
    public (int H, int W) OriginalSize { get; private set; }

    /// <summary>(H, W) after the longest-side resize, before padding.</summary>
    public (int H, int W) InputSize { get; private set; }

    /// <summary>The cached image embedding, 1 x C x h x w (owned by the predictor).</summary>
    public Tensor Embedding => _embedding ?? throw new InvalidOperationException("set an image or an embedding before predicting");

    public SamPredictor(SamModel model) => Model = model;

    int ImageSize => Model.Config.ImageSize;

    /// <summary>Resizes like the official code, normalises, pads and runs the image encoder.</summary>
    public void SetImage(RgbImage image)
    {
        var resized = ResizeLongestSide.ApplyImage(image, ImageSize);
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var chw = ImageTensors.ToFloatCHW(resized).unsqueeze(0).to(Model.Device);
        var embedding = Model.EncodeImage(Model.Preprocess(chw));
        SetEmbeddingCore(embedding.MoveToOuterDisposeScope(), (image.Height, image.Width));
    }

    /// <summary>Uses a precomputed embedding (1 x C x h x w) of an image of the given original size.</summary>
    public void SetEmbedding(Tensor embedding, (int H, int W) originalSize)
    {
        var c = Model.Config;
        if (embedding.dim() != 4 || embedding.shape[0] != 1 || embedding.shape[1] != c.PromptEmbedDim
            || embedding.shape[2] != c.EmbeddingSize || embedding.shape[3] != c.EmbeddingSize)
            throw new BadInputException($"{c.Name} expects an embedding of 1 x {c.PromptEmbedDim} x {c.EmbeddingSize} x {c.EmbeddingSize}, " +
                $"got [{string.Join(", ", embedding.shape)}]");
        using var detached = embedding.detach();   // a view: left undisposed it would keep the caller's storage alive
        SetEmbeddingCore(detached.clone(), originalSize);
    }

    void SetEmbeddingCore(Tensor embedding, (int H, int W) originalSize)
    {
        ResetImage();
        _embedding = embedding;
        OriginalSize = originalSize;
        InputSize = ResizeLongestSide.GetPreprocessShape(originalSize.H, originalSize.W, ImageSize);
    }

    public void ResetImage()
    {
        _embedding?.Dispose();
        _embedding = null;
    }

    /// <summary>
    /// One prompt in original pixel coordinates: any points, at most one box, an optional
    /// 1 x 4h x 4w mask input (low-res logits of an earlier prediction). Returns B = 1.
    /// </summary>
    public SamPrediction Predict(IReadOnlyList<SamPoint>? points = null, SamBox? box = null, Tensor? maskInput = null,
        bool multimaskOutput = true, bool returnLogits = false)
    {
        if (!IsImageSet) throw new InvalidOperationException("set an image or an embedding before predicting");
        using var scope = torch.NewDisposeScope();
        Tensor? coords = null, labels = null, boxes = null;
        if (points is { Count: > 0 })
        {
            var xy = new float[points.Count * 2];
            for (int i = 0; i < points.Count; i++)
            {
                var (x, y) = ResizeLongestSide.ApplyCoords(points[i].X, points[i].Y, OriginalSize, ImageSize);
                xy[2 * i] = (float)x;
                xy[2 * i + 1] = (float)y;
            }
            coords = torch.tensor(xy, [1, points.Count, 2]);
            labels = torch.tensor(points.Select(p => (long)p.Label).ToArray(), [1, points.Count]);
        }
        if (box is { } b)
        {
            var (x0, y0) = ResizeLongestSide.ApplyCoords(b.X0, b.Y0, OriginalSize, ImageSize);
            var (x1, y1) = ResizeLongestSide.ApplyCoords(b.X1, b.Y1, OriginalSize, ImageSize);
            boxes = torch.tensor(new[] { (float)x0, (float)y0, (float)x1, (float)y1 }, [1, 4]);
        }
        var mask = maskInput is null ? null : maskInput.dim() == 3 ? maskInput.unsqueeze(0) : maskInput;
        var p = PredictTorch(coords, labels, boxes, mask, multimaskOutput, returnLogits);
        scope.MoveToOuter(p.Masks, p.IouPredictions, p.LowResLogits);
        return p;
    }

    /// <summary>
    /// Batched prompts already in the resized input frame (see <see cref="ResizeLongestSide.ApplyCoords"/>):
    /// coords B x N x 2, labels B x N, boxes B x 4, mask input B x 1 x 4h x 4w, extra sparse tokens
    /// B x M x C (e.g. [SEG] embeddings). Masks come back at the original size.
    /// </summary>
    public SamPrediction PredictTorch(Tensor? pointCoords, Tensor? pointLabels, Tensor? boxes = null, Tensor? maskInput = null,
        bool multimaskOutput = true, bool returnLogits = false, Tensor? extraSparse = null)
    {
        if (!IsImageSet) throw new InvalidOperationException("set an image or an embedding before predicting");
        if ((pointCoords is null) != (pointLabels is null)) throw new BadInputException("point coordinates and labels must be given together");
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var lowRes = PredictLowRes(pointCoords, pointLabels, boxes, maskInput, multimaskOutput, extraSparse, out var iou);
        var masks = Model.PostprocessMasks(lowRes, InputSize, OriginalSize);
        if (!returnLogits) masks = masks > SamModel.MaskThreshold;
        return new SamPrediction(masks.MoveToOuterDisposeScope(), iou.MoveToOuterDisposeScope(), lowRes.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Only the decoder: low-res logits B x C x 4h x 4w and IoU B x C, no upscaling (the automatic
    /// mask generator and training want these without the full-size masks). Runs under the
    /// caller's grad mode, so training can backpropagate through the decoder; wrap it in
    /// torch.no_grad() for inference (PredictTorch does).
    /// </summary>
    public Tensor PredictLowRes(Tensor? pointCoords, Tensor? pointLabels, Tensor? boxes, Tensor? maskInput, bool multimaskOutput,
        Tensor? extraSparse, out Tensor iouPredictions)
    {
        using var scope = torch.NewDisposeScope();
        var device = Model.Device;
        (Tensor, Tensor)? points = pointCoords is null ? null : (pointCoords.to(device), pointLabels!.to(device));
        var (sparse, dense) = Model.PromptEncoder.forward(points, boxes?.to(device), maskInput?.to(device), extraSparse?.to(device));
        var (lowRes, iou) = Model.MaskDecoder.forward(Embedding, Model.PromptEncoder.GetDensePe(), sparse, dense, multimaskOutput);
        iouPredictions = iou.MoveToOuterDisposeScope();
        return lowRes.MoveToOuterDisposeScope();
    }

    public void Dispose() => ResetImage();
}
