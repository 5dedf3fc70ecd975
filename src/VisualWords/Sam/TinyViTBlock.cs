using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Sam;

/// <summary>
/// TinyViT block on B x L x C tokens of a square grid: windowed attention (residual), a depthwise
/// local conv, then a pre-norm MLP (residual).
/// </summary>
public sealed class TinyViTBlock : nn.Module<Tensor, Tensor>
{
    readonly TinyViTAttention attn;
    readonly TinyViTMlp mlp;
    readonly Conv2dBN local_conv;
    readonly int _resolution;
    readonly int _window;

    public TinyViTBlock(int dim, int resolution, int numHeads, int windowSize, double mlpRatio, int localConvSize)
        : base(nameof(TinyViTBlock))
    {
        _resolution = resolution;
        _window = windowSize;
        attn = new TinyViTAttention(dim, dim / numHeads, numHeads, windowSize);
        mlp = new TinyViTMlp(dim, (int)(dim * mlpRatio));
        local_conv = new Conv2dBN(dim, dim, localConvSize, 1, localConvSize / 2, groups: dim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], l = x.shape[1], c = x.shape[2];
        int res = _resolution;
        if (l != (long)res * res) throw new ArgumentException($"TinyViT block expects {res}x{res} tokens, got {l}");
        Tensor h;
        if (res == _window)
        {
            h = attn.forward(x);
        }
        else
        {
            var (windows, hp, wp) = WindowPartition.Partition(x.view(b, res, res, c), _window);
            var attended = attn.forward(windows.view(-1, (long)_window * _window, c));
            h = WindowPartition.Unpartition(attended.view(-1, _window, _window, c), _window, hp, wp, res, res)
                .view(b, l, c);
        }
        h = x + h;
        h = local_conv.forward(h.transpose(1, 2).reshape(b, c, res, res)).view(b, c, l).transpose(1, 2);
        return (h + mlp.forward(h)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Attention within one window with a learned bias per head and per |offset| between two tokens
/// (LeViT-style attention biases).
/// </summary>
public sealed class TinyViTAttention : nn.Module<Tensor, Tensor>
{
    readonly LayerNorm norm;
    readonly Linear qkv;
    readonly Linear proj;
    readonly Parameter attention_biases;
    readonly int _numHeads;
    readonly int _keyDim;
    readonly int _valueDim;
    readonly double _scale;

    public TinyViTAttention(int dim, int keyDim, int numHeads, int window) : base(nameof(TinyViTAttention))
    {
        _numHeads = numHeads;
        _keyDim = keyDim;
        _valueDim = keyDim;  // TinyViT blocks use attn_ratio 1
        _scale = Math.Pow(keyDim, -0.5);
        norm = nn.LayerNorm(dim);
        qkv = nn.Linear(dim, _valueDim * numHeads + 2 * keyDim * numHeads);
        proj = nn.Linear(_valueDim * numHeads, dim);
        attention_biases = nn.Parameter(torch.zeros(numHeads, (long)window * window));
        // Token n = (y, x) row-major; the offset (|dy|, |dx|) is the bias column |dy| * window + |dx|
        // (the order in which the official code first meets each offset).
        int n = window * window;
        var idxs = new long[n * n];
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
                idxs[a * n + b] = Math.Abs(a / window - b / window) * window + Math.Abs(a % window - b % window);
        register_buffer("attention_bias_idxs",
            torch.tensor(idxs, [n, n], device: torch.CPU).to(attention_biases.device), persistent: false);
        RegisterComponents();
    }

    /// <param name="x">B x N x C with N = window^2</param>
    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], n = x.shape[1];
        var h = norm.forward(x);
        var parts = qkv.forward(h).view(b, n, _numHeads, -1).split([_keyDim, _keyDim, _valueDim], dim: 3);
        var q = parts[0].permute(0, 2, 1, 3);
        var k = parts[1].permute(0, 2, 1, 3);
        var v = parts[2].permute(0, 2, 1, 3);
        var idxs = get_buffer("attention_bias_idxs")!;
        // Gathered from the parameter at every call: a cache taken at eval() time goes stale when
        // weights are loaded afterwards (the official build_sam_vit_t has exactly that trap).
        var bias = attention_biases.index_select(1, idxs.flatten()).view(_numHeads, n, n);
        var attn = (q.matmul(k.transpose(-2, -1)) * _scale + bias).softmax(-1);
        var o = attn.matmul(v).transpose(1, 2).reshape(b, n, (long)_valueDim * _numHeads);
        return proj.forward(o).MoveToOuterDisposeScope();
    }
}

/// <summary>Pre-norm MLP of the TinyViT block (keys norm, fc1, fc2).</summary>
public sealed class TinyViTMlp : nn.Module<Tensor, Tensor>
{
    readonly LayerNorm norm;
    readonly Linear fc1;
    readonly Linear fc2;

    public TinyViTMlp(int inFeatures, int hiddenFeatures) : base(nameof(TinyViTMlp))
    {
        norm = nn.LayerNorm(inFeatures);
        fc1 = nn.Linear(inFeatures, hiddenFeatures);
        fc2 = nn.Linear(hiddenFeatures, inFeatures);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return fc2.forward(nn.functional.gelu(fc1.forward(norm.forward(x)))).MoveToOuterDisposeScope();
    }
}
