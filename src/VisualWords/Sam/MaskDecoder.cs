using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Sam;

/// <summary>
/// Predicts masks from an image embedding and prompt tokens: an IoU token and 1 + K mask tokens
/// run through the two-way transformer; each mask token's hypernetwork MLP turns into weights
/// over the 4x-upscaled image features; the IoU head scores each mask.
/// </summary>
public sealed class MaskDecoder : nn.Module
{
    readonly TwoWayTransformer transformer;
    readonly Embedding iou_token;
    readonly Embedding mask_tokens;
    readonly Sequential output_upscaling;
    readonly ModuleList<SamMLP> output_hypernetworks_mlps;
    readonly SamMLP iou_prediction_head;

    public int NumMaskTokens { get; }

    public MaskDecoder(int transformerDim, TwoWayTransformer transformer, int numMultimaskOutputs = 3,
        int iouHeadDepth = 3, int iouHeadHiddenDim = 256) : base(nameof(MaskDecoder))
    {
        this.transformer = transformer;
        NumMaskTokens = numMultimaskOutputs + 1;
        iou_token = nn.Embedding(1, transformerDim);
        mask_tokens = nn.Embedding(NumMaskTokens, transformerDim);
        output_upscaling = nn.Sequential(
            nn.ConvTranspose2d(transformerDim, transformerDim / 4, 2, stride: 2),
            new LayerNorm2d(transformerDim / 4),
            nn.GELU(),
            nn.ConvTranspose2d(transformerDim / 4, transformerDim / 8, 2, stride: 2),
            nn.GELU());
        output_hypernetworks_mlps = nn.ModuleList(Enumerable.Range(0, NumMaskTokens)
            .Select(_ => new SamMLP(transformerDim, transformerDim, transformerDim / 8, 3)).ToArray());
        iou_prediction_head = new SamMLP(transformerDim, iouHeadHiddenDim, NumMaskTokens, iouHeadDepth);
        RegisterComponents();
    }

    /// <param name="imageEmbeddings">1 x C x h x w (or one per prompt row).</param>
    /// <param name="imagePe">1 x C x h x w (shared by all prompts)</param>
    /// <param name="sparsePrompt">B x N x C</param>
    /// <param name="densePrompt">B x C x h x w</param>
    /// <param name="multimaskOutput">True: the K disambiguating masks; false: the single-mask output.</param>
    /// <returns>Mask logits B x (K or 1) x 4h x 4w and IoU predictions B x (K or 1).</returns>
    public (Tensor Masks, Tensor IouPred) forward(Tensor imageEmbeddings, Tensor imagePe, Tensor sparsePrompt,
        Tensor densePrompt, bool multimaskOutput)
    {
        using var scope = torch.NewDisposeScope();
        var (masks, iou) = PredictMasks(imageEmbeddings, imagePe, sparsePrompt, densePrompt);
        var (start, end) = multimaskOutput ? (1L, (long)NumMaskTokens) : (0L, 1L);
        masks = masks.slice(1, start, end, 1);
        iou = iou.slice(1, start, end, 1);
        return (masks.MoveToOuterDisposeScope(), iou.MoveToOuterDisposeScope());
    }

    /// <summary>All 1 + K masks and IoU scores (see <see cref="forward"/>).</summary>
    public (Tensor Masks, Tensor IouPred) PredictMasks(Tensor imageEmbeddings, Tensor imagePe, Tensor sparsePrompt, Tensor densePrompt)
    {
        using var scope = torch.NewDisposeScope();
        long bs = sparsePrompt.shape[0];
        var outputTokens = torch.cat([iou_token.weight!, mask_tokens.weight!], 0).unsqueeze(0).expand(bs, -1, -1);
        var tokens = torch.cat([outputTokens, sparsePrompt], 1);

        // The official code repeats the image embedding and its positional encoding once per
        // prompt; broadcasting gives the same sums without the copies (each 268 MB for 64 prompts).
        if (imageEmbeddings.shape[0] != 1 && imageEmbeddings.shape[0] != bs)
            throw new ArgumentException($"image embeddings: batch {imageEmbeddings.shape[0]}, expected 1 or {bs}");
        var src = (imageEmbeddings + densePrompt).expand(bs, -1, -1, -1);
        long b = src.shape[0], c = src.shape[1], h = src.shape[2], w = src.shape[3];

        var (hs, keys) = transformer.forward(src, imagePe, tokens);
        var iouTokenOut = hs.select(1, 0);
        var maskTokensOut = hs.slice(1, 1, 1 + NumMaskTokens, 1);

        var upscaled = output_upscaling.forward(keys.transpose(1, 2).reshape(b, c, h, w));
        var hyperIn = torch.stack(Enumerable.Range(0, NumMaskTokens)
            .Select(i => output_hypernetworks_mlps[i].forward(maskTokensOut.select(1, i))).ToArray(), 1);
        long uc = upscaled.shape[1], uh = upscaled.shape[2], uw = upscaled.shape[3];
        var masks = hyperIn.matmul(upscaled.view(b, uc, uh * uw)).view(b, -1, uh, uw);
        var iouPred = iou_prediction_head.forward(iouTokenOut);
        return (masks.MoveToOuterDisposeScope(), iouPred.MoveToOuterDisposeScope());
    }
}

/// <summary>Plain MLP with ReLU between layers (the hypernetworks and the IoU head; keys layers.N).</summary>
public sealed class SamMLP : nn.Module<Tensor, Tensor>
{
    readonly ModuleList<Linear> layers;

    public SamMLP(int inputDim, int hiddenDim, int outputDim, int numLayers) : base(nameof(SamMLP))
    {
        var dims = new[] { inputDim }.Concat(Enumerable.Repeat(hiddenDim, numLayers - 1)).Append(outputDim).ToArray();
        layers = nn.ModuleList(Enumerable.Range(0, numLayers).Select(i => nn.Linear(dims[i], dims[i + 1])).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        for (int i = 0; i < layers.Count; i++)
        {
            x = layers[i].forward(x);
            if (i < layers.Count - 1) x = nn.functional.relu(x);
        }
        return x.MoveToOuterDisposeScope();
    }
}
