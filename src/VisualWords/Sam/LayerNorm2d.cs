using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Sam;

/// <summary>
/// Layer norm over the channel axis of a B x C x H x W map (SAM's necks, mask downscaler and
/// upscaler). Runs libtorch's fused layer norm on a channels-last view: the official module's
/// step-by-step formula makes about ten passes over the map (268 MB per step in the decoder's
/// upscaler for 64 prompts); results agree to float rounding.
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
    /// <returns>B x C x H x W (a channels-last layout)</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var y = nn.functional.layer_norm(x.permute(0, 2, 3, 1), [x.shape[1]], weight, bias, _eps);
        return y.permute(0, 3, 1, 2).MoveToOuterDisposeScope();
    }
}
