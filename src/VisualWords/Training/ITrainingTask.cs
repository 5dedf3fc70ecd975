using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Training;

/// <summary>The loss of one micro-batch: the tensor to backpropagate and its named parts for logging.</summary>
public sealed record LossParts(Tensor Total, IReadOnlyDictionary<string, double> Parts, int Samples);

/// <summary>
/// What the <see cref="Trainer"/> drives. A task must make batch <c>(step, micro)</c> a pure
/// function of its seed and those indices — that is what makes a resumed run continue with exactly
/// the losses of an uninterrupted one, whichever thread prepared the batch.
/// </summary>
public interface ITrainingTask : IDisposable
{
    /// <summary>The model whose full state is checkpointed.</summary>
    nn.Module Model { get; }

    /// <summary>Parameters the optimizer updates (frozen parts are left out).</summary>
    IReadOnlyList<Parameter> TrainableParameters { get; }

    /// <summary>Prepares batch (step, micro) — called on worker threads, must not touch the model,
    /// and must draw randomness from its own generator seeded by (seed, step, micro), never from
    /// torch's process-wide one (the trainer re-seeds that per step for dropout).</summary>
    object PrepareBatch(long step, int micro);

    /// <summary>Puts the model in training mode; frozen parts (BatchNorm in a frozen encoder) may stay in eval mode.</summary>
    void SetTrainMode() => Model.train();

    /// <summary>Forward pass and loss of a prepared batch (training mode).</summary>
    LossParts Loss(object batch);

    /// <summary>Validation score, higher is better (null: no validation set).</summary>
    double? Validate();

    /// <summary>What <see cref="Validate"/> measures, as logs name it ("val gIoU", "val point mIoU").</summary>
    string ValidationMetric => "validation score";

    /// <summary>
    /// Writes whatever, next to model.safetensors, makes a checkpoint folder usable on its own
    /// (e.g. the segmenter's visualwords.json and tokenizer). Called for every checkpoint and best/.
    /// </summary>
    void WriteModelFiles(string dir) { }
}
