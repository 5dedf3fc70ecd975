using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Sam;

/// <summary>
/// Encodes prompts for the mask decoder: points and box corners become sparse tokens (Fourier
/// position + a learned type embedding), a low-res mask input becomes a dense map (or the learned
/// no-mask embedding everywhere). Callers may append their own sparse tokens (the LLM's [SEG]).
/// </summary>
public sealed class PromptEncoder : nn.Module
{
    readonly PositionEmbeddingRandom pe_layer;
    readonly ModuleList<Embedding> point_embeddings;   // 0: negative point, 1: positive point, 2/3: box corners
    readonly Embedding not_a_point_embed;
    readonly Sequential mask_downscaling;
    readonly Embedding no_mask_embed;

    public int EmbedDim { get; }
    public (long H, long W) ImageEmbeddingSize { get; }
    public (long H, long W) InputImageSize { get; }

    public PromptEncoder(int embedDim, int embeddingSize, int inputImageSize, int maskInChans) : base(nameof(PromptEncoder))
    {
        EmbedDim = embedDim;
        ImageEmbeddingSize = (embeddingSize, embeddingSize);
        InputImageSize = (inputImageSize, inputImageSize);
        pe_layer = new PositionEmbeddingRandom(embedDim / 2);
        point_embeddings = nn.ModuleList(Enumerable.Range(0, 4).Select(_ => nn.Embedding(1, embedDim)).ToArray());
        not_a_point_embed = nn.Embedding(1, embedDim);
        mask_downscaling = nn.Sequential(
            nn.Conv2d(1, maskInChans / 4, 2, stride: 2),
            new LayerNorm2d(maskInChans / 4),
            nn.GELU(),
            nn.Conv2d(maskInChans / 4, maskInChans, 2, stride: 2),
            new LayerNorm2d(maskInChans),
            nn.GELU(),
            nn.Conv2d(maskInChans, embedDim, 1));
        no_mask_embed = nn.Embedding(1, embedDim);
        RegisterComponents();
    }

    /// <summary>Positional encoding of every embedding cell: 1 x C x h x w.</summary>
    public Tensor GetDensePe() => pe_layer.Grid(ImageEmbeddingSize.H, ImageEmbeddingSize.W).unsqueeze(0);

    /// <summary>
    /// Point tokens: B x N x C. Label 1 = foreground, 0 = background, -1 = padding (not a point).
    /// The label embeddings are added with masked arithmetic on the whole tensor: in TorchSharp,
    /// t[mask] += e updates a copy made by boolean indexing and silently loses the addition.
    /// </summary>
    Tensor EmbedPoints(Tensor points, Tensor labels, bool pad)
    {
        using var scope = torch.NewDisposeScope();
        points = points.to(ScalarType.Float32) + 0.5f;  // centre of the pixel
        labels = labels.to(ScalarType.Int64);
        if (pad)
        {
            points = torch.cat([points, torch.zeros(points.shape[0], 1, 2, device: points.device)], 1);
            labels = torch.cat([labels, torch.full(labels.shape[0], 1, -1L, device: labels.device)], 1);
        }
        var pe = pe_layer.WithCoords(points, InputImageSize);
        var lab = labels.unsqueeze(-1);
        pe = torch.where(lab == -1, not_a_point_embed.weight!, pe);
        pe = pe + torch.where(lab == 0, point_embeddings[0].weight!, 0f);
        pe = pe + torch.where(lab == 1, point_embeddings[1].weight!, 0f);
        return pe.MoveToOuterDisposeScope();
    }

    /// <summary>Box tokens: B x 4 (x0, y0, x1, y1) to B x 2 x C.</summary>
    Tensor EmbedBoxes(Tensor boxes)
    {
        using var scope = torch.NewDisposeScope();
        var coords = (boxes.to(ScalarType.Float32) + 0.5f).reshape(-1, 2, 2);
        var pe = pe_layer.WithCoords(coords, InputImageSize);
        var corners = torch.cat([point_embeddings[2].weight!, point_embeddings[3].weight!], 0);  // 2 x C
        return (pe + corners).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Embeds prompts. Returns sparse B x N x C (points, then box corners, then
    /// <paramref name="extraSparse"/>) and dense B x C x h x w.
    /// </summary>
    /// <param name="points">Coordinates B x N x 2 (x, y in the padded input frame) and labels B x N.</param>
    /// <param name="boxes">B x 4 in the input frame.</param>
    /// <param name="masks">B x 1 x 4h x 4w mask logits.</param>
    /// <param name="extraSparse">B x M x C tokens appended as they are (e.g. [SEG] embeddings).</param>
    public (Tensor Sparse, Tensor Dense) forward((Tensor Coords, Tensor Labels)? points, Tensor? boxes, Tensor? masks,
        Tensor? extraSparse = null)
    {
        using var scope = torch.NewDisposeScope();
        long bs = points?.Coords.shape[0] ?? boxes?.shape[0] ?? masks?.shape[0] ?? extraSparse?.shape[0] ?? 1;
        var device = no_mask_embed.weight!.device;
        var sparse = torch.empty(bs, 0, EmbedDim, device: device);
        if (points is { } p)
            sparse = torch.cat([sparse, EmbedPoints(p.Coords, p.Labels, pad: boxes is null)], 1);
        if (boxes is not null)
            sparse = torch.cat([sparse, EmbedBoxes(boxes)], 1);
        if (extraSparse is not null)
            sparse = torch.cat([sparse, extraSparse], 1);
        var dense = masks is not null
            ? mask_downscaling.forward(masks)
            : no_mask_embed.weight!.reshape(1, -1, 1, 1).expand(bs, -1, ImageEmbeddingSize.H, ImageEmbeddingSize.W);
        return (sparse.MoveToOuterDisposeScope(), dense.MoveToOuterDisposeScope());
    }
}
