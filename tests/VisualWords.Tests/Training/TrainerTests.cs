using System.Text.Json;
using TorchSharp.Modules;
using VisualWords.Training;
using static TorchSharp.torch;

namespace VisualWords.Tests.Training;

/// <summary>Tests that rely on torch's process-wide RNG (dropout) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalRngCollection
{
    public const string Name = "global-rng";
}

[Collection(GlobalRngCollection.Name)]
public class TrainerTests
{
    /// <summary>A tiny regression with dropout: y = sum(x) through an MLP; batches from (seed, step, micro).</summary>
    sealed class ToyTask : ITrainingTask
    {
        sealed class Net : nn.Module<Tensor, Tensor>
        {
            public readonly Sequential mlp = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 1));
            public Net() : base("toy") => RegisterComponents();
            public override Tensor forward(Tensor x) => mlp.forward(x);
        }

        readonly Net _net;
        public ToyTask()
        {
            manual_seed(7);
            _net = new Net();
        }

        public nn.Module Model => _net;
        public IReadOnlyList<Parameter> TrainableParameters => _net.parameters().ToList();

        public object PrepareBatch(long step, int micro)
        {
            var g = new Generator((ulong)(step * 31 + micro + 1));
            var x = randn(8, 4, generator: g);
            return new Batch(x, x.sum(1, keepdim: true));
        }

        sealed record Batch(Tensor X, Tensor Y) : IDisposable
        {
            public void Dispose() { X.Dispose(); Y.Dispose(); }
        }

        public LossParts Loss(object batch)
        {
            var b = (Batch)batch;
            var loss = nn.functional.mse_loss(_net.forward(b.X), b.Y);
            return new LossParts(loss, new Dictionary<string, double> { ["mse"] = loss.item<float>() }, 8);
        }

        public double? Validate()
        {
            using var _ = no_grad();
            var b = (Batch)PrepareBatch(999, 0);
            using (b) return -nn.functional.mse_loss(_net.forward(b.X), b.Y).item<float>();
        }

        public void Dispose() => _net.Dispose();
    }

    static TrainConfig Config(int workers = 1) => TrainConfig.Parse($$"""
        { "optim": { "lr": 0.01, "warmup_steps": 3, "grad_accumulation": 2, "clip_grad_norm": 1.0 },
          "run": { "steps": 12, "seed": 5, "checkpoint_every": 4, "keep_last": 2, "eval_every": 6, "workers": {{workers}} } }
        """);

    [Fact]
    public void Resumed_run_reproduces_the_uninterrupted_losses_exactly()
    {
        using var dirA = Fixtures.TempDir();
        using var dirB = Fixtures.TempDir();
        using var a = new ToyTask();
        var full = new Trainer(Config(), a, dirA.Path).Run(resume: false);
        Assert.Equal(12, full.Count);
        Assert.True(full[^1].Loss < full[0].Loss, "training should reduce the loss");

        using (var b1 = new ToyTask())
            new Trainer(Config(), b1, dirB.Path) { StopAfterStep = 6 }.Run(resume: false);   // "killed" after step 6 (checkpoint at 4 and 6)
        // Simulate a crash in the middle of writing the step-8 checkpoint: a leftover temp folder.
        Directory.CreateDirectory(Path.Combine(dirB.Path, "checkpoints", "step-00000008.tmp-999"));
        using var b2 = new ToyTask();
        var resumed = new Trainer(Config(workers: 0), b2, dirB.Path).Run(resume: true);

        Assert.Equal(full.Select(m => m.Loss), resumed.Select(m => m.Loss));
        Assert.Equal(full.Select(m => m.Lr), resumed.Select(m => m.Lr));
        foreach (var (pa, pb) in a.TrainableParameters.Zip(b2.TrainableParameters))
            Assert.True(TensorAssert.Same(pa, pb));

        var lines = File.ReadAllLines(Path.Combine(dirB.Path, "metrics.jsonl"));
        Assert.Equal(12, lines.Length);
        Assert.Equal(12, JsonDocument.Parse(lines[^1]).RootElement.GetProperty("step").GetInt64());
        Assert.True(File.Exists(Path.Combine(dirB.Path, "loss.png")));
        var kept = Directory.GetDirectories(Path.Combine(dirB.Path, "checkpoints")).Select(Path.GetFileName).OrderBy(n => n).ToArray();
        Assert.Equal(new[] { "step-00000008", "step-00000012" }, kept);
        Assert.True(File.Exists(Path.Combine(dirB.Path, "best", "model.safetensors")));
    }

    [Fact]
    public void Starting_over_an_existing_run_without_resume_is_refused()
    {
        using var dir = Fixtures.TempDir();
        using (var t = new ToyTask()) new Trainer(Config(), t, dir.Path) { StopAfterStep = 4 }.Run(resume: false);
        using var t2 = new ToyTask();
        Assert.Contains("--resume", Assert.Throws<BadInputException>(() => new Trainer(Config(), t2, dir.Path).Run(resume: false)).Message);
    }

    [Fact]
    public void Schedule_warms_up_then_decays_to_the_floor()
    {
        var o = new OptimConfig { Lr = 1.0, WarmupSteps = 10, MinLrRatio = 0.1, Schedule = LrSchedule.Cosine };
        Assert.Equal(0.1, LearningRateSchedule.At(o, 0, 110), 9);
        Assert.Equal(1.0, LearningRateSchedule.At(o, 9, 110), 9);
        Assert.Equal(0.55, LearningRateSchedule.At(o, 60, 110), 9);
        Assert.Equal(0.1, LearningRateSchedule.At(o, 110, 110), 9);
        Assert.Equal(0.5, LearningRateSchedule.At(o with { Schedule = LrSchedule.Linear, MinLrRatio = 0 }, 60, 110), 9);
    }

    [Fact]
    public void Bad_configs_are_reported_by_field()
    {
        Assert.Contains("optim.lr", Assert.Throws<BadInputException>(() => TrainConfig.Parse("""{"optim":{"lr":0}}""")).Message);
        Assert.Contains("bogus", Assert.Throws<BadInputException>(() => TrainConfig.Parse("""{"run":{"bogus":1}}""")).Message);
        Assert.Throws<BadInputException>(() => TrainConfig.Parse("{ not json"));
    }
}
