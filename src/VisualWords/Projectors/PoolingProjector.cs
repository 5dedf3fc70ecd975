using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Projectors;

/// <summary>
/// k x k average pooling over the patch grid, then mlp2x_gelu: ⌈h/k⌉·⌈w/k⌉ tokens. Edge windows of
/// a grid not divisible by k average only the patches they cover (no zero padding counted).
/// </summary>
public sealed class PoolingProjector : VisualProjector
{
    readonly Sequential mm_projector;
    readonly int _kernel;

    public PoolingProjector(PoolingProjectorConfig config) : base(nameof(PoolingProjector), config)
    {
        if (config.Kernel < 1) throw new BadInputException($"pooling kernel must be at least 1 (got {config.Kernel})");
        _kernel = config.Kernel;
        mm_projector = OutputMlp(config);
        RegisterComponents();
    }

    public override VisualTokens forward(ProjectorInput input)
    {
        input.Validate(Config.VisionWidth, needsLabels: false);
        using var scope = NewDisposeScope();
        var f = input.PatchFeatures;
        var (b, c) = (f.shape[0], f.shape[2]);
        var grid = f.transpose(1, 2).reshape(b, c, input.GridHeight, input.GridWidth);
        var pooled = nn.functional.avg_pool2d(grid, _kernel, stride: _kernel, ceil_mode: true, count_include_pad: false);
        var tokens = mm_projector.forward(pooled.flatten(2).transpose(1, 2));
        var result = VisualTokens.Dense(tokens);
        scope.MoveToOuter(result.Tokens, result.Mask);
        return result;
    }
}
