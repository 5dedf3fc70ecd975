using static TorchSharp.torch;

namespace VisualWords.Vision;

public static class Activations
{
    /// <summary>CLIP's sigmoid approximation of GELU (OpenAI trained with it, so parity needs it).</summary>
    public static Tensor QuickGelu(Tensor x)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(x * (1.702 * x).sigmoid());
    }
}
