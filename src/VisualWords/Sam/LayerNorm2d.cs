using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Sam;

/// <summary>
/// Layer norm over the channel axis of a B x C x H x W map (SAM's necks and upscalers).
/// Written out rather than permuting to channels-last so the arithmetic follows the official
/// module step by step (mean, centred variance, divide by sqrt) for bit-close parity.
/// </summary>
public sealed class LayerNorm2d : nn.Module<Tensor, Tensor>
{
    readonly Parameter weight;
    readonly Parameter bias;
    readonly double _eps;

    public LayerNorm2d(long numChannels, double eps = 1e-6) : base(nameof(LayerNorm2d))
    {
        weight = nn.Parameter(torch.ones(numChannels));
        bias = nn.Parameter(torch.zeros(numChannels));
        _eps = eps;
        RegisterComponents();
    }

    /// <param name="x">B x C x H x W</param>
    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var u = x.mean([1], keepdim: true);
        var centred = x - u;
        var s = centred.pow(2).mean([1], keepdim: true);
        var y = centred / torch.sqrt(s + _eps);
        return (weight.view(-1, 1, 1) * y + bias.view(-1, 1, 1)).MoveToOuterDisposeScope();
    }
}
