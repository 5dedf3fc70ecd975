using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Sam;

/// <summary>
/// SAM's ViT image encoder: 16 x 16 patches, absolute position embedding, windowed blocks with a
/// few global blocks between them, and a conv neck to OutChans x (ImgSize/16)^2.
/// </summary>
public sealed class ImageEncoderViT : nn.Module<Tensor, Tensor>
{
    readonly PatchEmbed patch_embed;
    readonly Parameter? pos_embed;
    readonly ModuleList<ViTBlock> blocks;
    readonly Sequential neck;

    public ImageEncoderViTConfig Config { get; }

    public ImageEncoderViT(ImageEncoderViTConfig config) : base(nameof(ImageEncoderViT))
    {
        Config = config;
        int grid = config.GridSize;
        patch_embed = new PatchEmbed(config.InChans, config.EmbedDim, config.PatchSize);
        if (config.UseAbsPos)
            pos_embed = nn.Parameter(torch.zeros(1, grid, grid, config.EmbedDim));
        blocks = nn.ModuleList(Enumerable.Range(0, config.Depth).Select(i =>
        {
            int window = config.GlobalAttnIndexes.Contains(i) ? 0 : config.WindowSize;
            return new ViTBlock(config.EmbedDim, config.NumHeads, config.MlpRatio, config.QkvBias,
                config.UseRelPos, window, grid, config.NormEps);
        }).ToArray());
        neck = nn.Sequential(
            nn.Conv2d(config.EmbedDim, config.OutChans, 1, bias: false),
            new LayerNorm2d(config.OutChans),
            nn.Conv2d(config.OutChans, config.OutChans, 3, padding: 1, bias: false),
            new LayerNorm2d(config.OutChans));
        RegisterComponents();
    }

    /// <param name="x">B x 3 x ImgSize x ImgSize, normalised and padded.</param>
    /// <returns>B x OutChans x Grid x Grid</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = patch_embed.forward(x);
        if (pos_embed is not null) h = h + pos_embed;
        foreach (var blk in blocks)
        {
            var next = blk.forward(h);
            h.Dispose();  // blocks are large (B x 64 x 64 x C); free each as soon as it is consumed
            h = next;
        }
        return neck.forward(h.permute(0, 3, 1, 2)).MoveToOuterDisposeScope();
    }
}

/// <summary>Non-overlapping patch projection; returns channels-last B x H x W x C.</summary>
public sealed class PatchEmbed : nn.Module<Tensor, Tensor>
{
    readonly Conv2d proj;

    public PatchEmbed(int inChans, int embedDim, int patchSize) : base(nameof(PatchEmbed))
    {
        proj = nn.Conv2d(inChans, embedDim, patchSize, stride: patchSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return proj.forward(x).permute(0, 2, 3, 1).MoveToOuterDisposeScope();
    }
}

/// <summary>Pre-norm transformer block; windowed when WindowSize &gt; 0, global otherwise.</summary>
public sealed class ViTBlock : nn.Module<Tensor, Tensor>
{
    readonly LayerNorm norm1;
    readonly ViTAttention attn;
    readonly LayerNorm norm2;
    readonly MLPBlock mlp;

    public int WindowSize { get; }

    public ViTBlock(int dim, int numHeads, double mlpRatio, bool qkvBias, bool useRelPos, int windowSize, int gridSize, double normEps)
        : base(nameof(ViTBlock))
    {
        WindowSize = windowSize;
        norm1 = nn.LayerNorm(dim, eps: normEps);
        int attnSize = windowSize == 0 ? gridSize : windowSize;
        attn = new ViTAttention(dim, numHeads, qkvBias, useRelPos, attnSize, attnSize);
        norm2 = nn.LayerNorm(dim, eps: normEps);
        mlp = new MLPBlock(dim, (long)(dim * mlpRatio));
        RegisterComponents();
    }

    /// <param name="x">B x H x W x C</param>
    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = norm1.forward(x);
        if (WindowSize > 0)
        {
            long height = x.shape[1], width = x.shape[2];
            var (windows, padH, padW) = WindowPartition.Partition(h, WindowSize);
            h = WindowPartition.Unpartition(attn.forward(windows), WindowSize, padH, padW, height, width);
        }
        else
        {
            h = attn.forward(h);
        }
        var y = x + h;
        var m = mlp.forward(norm2.forward(y));
        // In place saves a block-sized buffer at inference, but autograd needs y (norm2's input) intact.
        return (torch.is_grad_enabled() ? y + m : y.add_(m)).MoveToOuterDisposeScope();
    }
}

/// <summary>Window partitioning of channels-last maps, padding the bottom/right with zeros.</summary>
public static class WindowPartition
{
    /// <returns>(B * nWindows) x w x w x C, and the padded height and width.</returns>
    public static (Tensor Windows, long PadH, long PadW) Partition(Tensor x, int window)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], h = x.shape[1], w = x.shape[2], c = x.shape[3];
        long padH = (window - h % window) % window, padW = (window - w % window) % window;
        if (padH > 0 || padW > 0) x = nn.functional.pad(x, [0, 0, 0, padW, 0, padH]);
        long hp = h + padH, wp = w + padW;
        var windows = x.view(b, hp / window, window, wp / window, window, c)
            .permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, window, window, c);
        return (windows.MoveToOuterDisposeScope(), hp, wp);
    }

    /// <summary>Inverse of <see cref="Partition"/>, cropping the padding.</summary>
    public static Tensor Unpartition(Tensor windows, int window, long hp, long wp, long h, long w)
    {
        using var scope = torch.NewDisposeScope();
        long b = windows.shape[0] / (hp * wp / window / window);
        var x = windows.view(b, hp / window, wp / window, window, window, -1)
            .permute(0, 1, 3, 2, 4, 5).contiguous().view(b, hp, wp, -1);
        if (hp > h || wp > w) x = x.slice(1, 0, h, 1).slice(2, 0, w, 1).contiguous();
        return x.MoveToOuterDisposeScope();
    }
}
