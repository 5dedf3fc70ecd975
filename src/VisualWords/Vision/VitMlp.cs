using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Vision;

/// <summary>
/// The ViT feed-forward, fc1 → activation → fc2, named `mlp.fc1` / `mlp.fc2` in both HF CLIP and
/// HF DINOv2; only the activation differs (quick-GELU vs exact GELU).
/// </summary>
public sealed class VitMlp : nn.Module<Tensor, Tensor>
{
    readonly Linear fc1, fc2;
    readonly Func<Tensor, Tensor> _activation;

    public VitMlp(int width, int hidden, Func<Tensor, Tensor> activation, Device? device = null) : base(nameof(VitMlp))
    {
        _activation = activation;
        fc1 = nn.Linear(width, hidden, device: device);
        fc2 = nn.Linear(hidden, width, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(fc2.forward(_activation(fc1.forward(x))));
    }
}
