using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Sam;

/// <summary>
/// MobileSAM's image encoder (TinyViT-5M adapted to 1024 inputs): a stride-4 conv stem, an MBConv
/// stage, three windowed-attention stages with patch merging between them, and SAM's conv neck.
/// The classifier head (norm_head, head) is unused but kept so mobile_sam.pt loads strictly.
/// </summary>
public sealed class TinyViT : nn.Module<Tensor, Tensor>
{
    readonly TinyViTPatchEmbed patch_embed;
    readonly ModuleList<nn.Module<Tensor, Tensor>> layers;
    readonly LayerNorm norm_head;
    readonly Linear head;
    readonly Sequential neck;

    public TinyViTConfig Config { get; }

    public TinyViT(TinyViTConfig config) : base(nameof(TinyViT))
    {
        Config = config;
        var dims = config.EmbedDims;
        int numStages = dims.Count;
        patch_embed = new TinyViTPatchEmbed(config.InChans, dims[0]);
        var stages = new List<nn.Module<Tensor, Tensor>>();
        for (int i = 0; i < numStages; i++)
        {
            int res = config.StageResolution(i), dim = dims[i], stage = i;
            var stageBlocks = Enumerable.Range(0, config.Depths[i]).Select(nn.Module<Tensor, Tensor> (_) => stage == 0
                ? new MBConv(dim, config.MbconvExpandRatio)
                : new TinyViTBlock(dim, res, config.NumHeads[stage], config.WindowSizes[stage], config.MlpRatio, config.LocalConvSize));
            stages.Add(new TinyViTStage(stageBlocks, i < numStages - 1 ? new PatchMerging(res, dim, dims[i + 1]) : null));
        }
        layers = nn.ModuleList(stages.ToArray());
        norm_head = nn.LayerNorm(dims[^1]);
        head = nn.Linear(dims[^1], config.NumClasses);
        neck = LayerNorm2d.Neck(dims[^1], config.NeckChans);
        RegisterComponents();
    }

    /// <param name="x">B x 3 x ImgSize x ImgSize, normalised and padded.</param>
    /// <returns>B x NeckChans x ImgSize/16 x ImgSize/16</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = patch_embed.forward(x);
        foreach (var layer in layers) h = layer.forward(h);
        long b = h.shape[0], c = h.shape[2];
        int res = Config.StageResolution(Config.EmbedDims.Count - 1);
        var grid = h.view(b, res, res, c).permute(0, 3, 1, 2);
        return neck.forward(grid).MoveToOuterDisposeScope();
    }
}

/// <summary>Convolution without bias followed by batch norm (TinyViT's Conv2d_BN; keys c.*, bn.*).</summary>
public sealed class Conv2dBN : nn.Module<Tensor, Tensor>
{
    readonly Conv2d c;
    readonly BatchNorm2d bn;

    public Conv2dBN(long inChans, long outChans, long kernel = 1, long stride = 1, long pad = 0, long groups = 1)
        : base(nameof(Conv2dBN))
    {
        c = nn.Conv2d(inChans, outChans, kernel, stride: stride, padding: pad, groups: groups, bias: false);
        bn = nn.BatchNorm2d(outChans);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return bn.forward(c.forward(x)).MoveToOuterDisposeScope();
    }
}

/// <summary>Two stride-2 Conv2dBN with a GELU between: B x 3 x S x S to B x C x S/4 x S/4.</summary>
public sealed class TinyViTPatchEmbed : nn.Module<Tensor, Tensor>
{
    readonly Sequential seq;

    public TinyViTPatchEmbed(int inChans, int embedDim) : base(nameof(TinyViTPatchEmbed))
    {
        seq = nn.Sequential(
            new Conv2dBN(inChans, embedDim / 2, 3, 2, 1),
            nn.GELU(),
            new Conv2dBN(embedDim / 2, embedDim, 3, 2, 1));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => seq.forward(x);
}

/// <summary>Inverted residual (1x1 expand, 3x3 depthwise, 1x1 project) on B x C x H x W.</summary>
public sealed class MBConv : nn.Module<Tensor, Tensor>
{
    readonly Conv2dBN conv1;
    readonly Conv2dBN conv2;
    readonly Conv2dBN conv3;

    public MBConv(int chans, double expandRatio) : base(nameof(MBConv))
    {
        int hidden = (int)(chans * expandRatio);
        conv1 = new Conv2dBN(chans, hidden, 1);
        conv2 = new Conv2dBN(hidden, hidden, 3, 1, 1, groups: hidden);
        conv3 = new Conv2dBN(hidden, chans, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = nn.functional.gelu(conv1.forward(x));
        h = nn.functional.gelu(conv2.forward(h));
        h = conv3.forward(h).add_(x);
        return nn.functional.gelu(h).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Between stages: 1x1 conv to the next width, 3x3 depthwise (stride 2, or 1 into MobileSAM's last
/// stage), 1x1 conv. Accepts B x C x H x W or B x L x C tokens; returns B x L' x C' tokens.
/// </summary>
public sealed class PatchMerging : nn.Module<Tensor, Tensor>
{
    readonly Conv2dBN conv1;
    readonly Conv2dBN conv2;
    readonly Conv2dBN conv3;
    readonly int _resolution;

    public PatchMerging(int resolution, int dim, int outDim) : base(nameof(PatchMerging))
    {
        _resolution = resolution;
        conv1 = new Conv2dBN(dim, outDim, 1);
        conv2 = new Conv2dBN(outDim, outDim, 3, TinyViTConfig.MergeStride(outDim), 1, groups: outDim);
        conv3 = new Conv2dBN(outDim, outDim, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        if (x.dim() == 3) x = x.view(x.shape[0], _resolution, _resolution, -1).permute(0, 3, 1, 2);
        var h = nn.functional.gelu(conv1.forward(x));
        h = nn.functional.gelu(conv2.forward(h));
        h = conv3.forward(h);
        return h.flatten(2).transpose(1, 2).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// One TinyViT stage (keys blocks.N, downsample): its blocks, then patch merging into the next
/// stage's width (none after the last). Stage 0 has MBConv blocks on B x C x H x W, the others
/// TinyViT blocks on B x L x C tokens.
/// </summary>
public sealed class TinyViTStage : nn.Module<Tensor, Tensor>
{
    readonly ModuleList<nn.Module<Tensor, Tensor>> blocks;
    readonly PatchMerging? downsample;

    public TinyViTStage(IEnumerable<nn.Module<Tensor, Tensor>> stageBlocks, PatchMerging? merge) : base(nameof(TinyViTStage))
    {
        blocks = nn.ModuleList(stageBlocks.ToArray());
        downsample = merge;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var blk in blocks) x = blk.forward(x);
        if (downsample is not null) x = downsample.forward(x);
        return x.MoveToOuterDisposeScope();
    }
}
