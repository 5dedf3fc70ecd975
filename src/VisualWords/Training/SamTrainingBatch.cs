using static TorchSharp.torch;

namespace VisualWords.Training;

/// <summary>
/// One image's prompts as tensors in the model's input frame: points (coords K x N x 2, labels
/// K x N) or boxes K x 4, and the target masks K x S x S (S = model input, padding is background).
/// Multimask: the prompt is a single point and trains the three ambiguity outputs.
/// </summary>
public sealed record SamPromptTensors(bool Multimask, Tensor? Coords, Tensor? Labels, Tensor? Boxes, Tensor Targets);

/// <summary>A SAM training micro-batch: resized images (each 3 x h x w, 0..255) and their prompts.</summary>
public sealed record SamTrainingBatch(IReadOnlyList<Tensor> Images, IReadOnlyList<SamPromptTensors> Prompts) : IDisposable
{
    public void Dispose()
    {
        foreach (var t in Images) t.Dispose();
        foreach (var p in Prompts)
        {
            p.Coords?.Dispose();
            p.Labels?.Dispose();
            p.Boxes?.Dispose();
            p.Targets.Dispose();
        }
    }
}
