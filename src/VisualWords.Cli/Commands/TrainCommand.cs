using VisualWords.Runtime;
using System.CommandLine;
using Spectre.Console;
using VisualWords.Training;

namespace VisualWords.Cli.Commands;

public static class TrainCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "Training config (JSON): model, data, optim, run sections. Relative paths in it are relative to the config file.", Required = true };
        var outDir = new Option<string>("--out") { Description = "Run folder: checkpoints/, best/, metrics.jsonl, loss.png, config.json.", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from the newest checkpoint in --out (model, optimizer, schedule, data position)." };
        var cmd = new Command("train", "Train a model from a config; resumable after a crash with --resume.");
        cmd.Options.Add(config);
        cmd.Options.Add(outDir);
        cmd.Options.Add(resume);
        cmd.Subcommands.Add(CurveCommand());
        cmd.SetAction(r =>
        {
            GlobalOptions.Apply(r);
            NativeHeap.KeepFreedMemory();  // training re-allocates the same large temporaries every step
            var cfg = TrainConfig.Load(r.GetValue(config)!);
            var runDir = r.GetValue(outDir)!;
            if (File.Exists(runDir)) throw new BadInputException($"--out '{runDir}' is a file; give the run folder");
            if (r.GetValue(resume))
            {
                if (new TrainingCheckpoints(runDir, cfg.Run.KeepLast).Latest() is null)
                    Term.Err.WriteLine($"--resume: no checkpoint in {runDir} yet; starting a fresh run");
                else if (Trainer.FinishedStep(cfg, runDir) is long done)
                {
                    AnsiConsole.MarkupLine($"the run in {Markup.Escape(runDir)} is finished: step {done} of {cfg.Run.Steps}; " +
                        "nothing to train. Raise run.steps in the config to train longer.");
                    return ExitCodes.Ok;
                }
            }
            using var task = TrainingTasks.Create(cfg);
            IReadOnlyList<StepMetrics> history = [];
            Trainer? trainer = null;
            if (Console.IsErrorRedirected)
            {
                trainer = new Trainer(cfg, task, runDir, new LineProgress());
                history = trainer.Run(r.GetValue(resume));
            }
            else
            {
                Term.Err.Progress().AutoClear(false).HideCompleted(false)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                             new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .Start(ctx =>
                    {
                        trainer = new Trainer(cfg, task, runDir, new BarProgress(ctx));
                        history = trainer.Run(r.GetValue(resume));
                    });
            }
            if (history.Count > 0)
                AnsiConsole.MarkupLine($"done: step {history[^1].Step}, loss {history[^1].Loss:F4}; metrics in {Markup.Escape(trainer!.MetricsPath)}, curve in {Markup.Escape(trainer.LossCurvePath)}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary><c>train curve --run DIR</c>: the loss/validation curve drawn again from a run folder's logs.</summary>
    static Command CurveCommand()
    {
        var run = new Option<string>("--run") { Description = "Run folder (metrics.jsonl, validation.jsonl).", Required = true };
        var output = new Option<string?>("--out") { Description = "PNG to write (default: RUN/loss.png)." };
        var metric = new Option<string>("--metric") { Description = "Name of the validation score for the legend.", DefaultValueFactory = _ => "val gIoU" };
        var cmd = new Command("curve", "Draw a run's loss and validation curve again from its logs (e.g. after a run stopped early).");
        cmd.Options.Add(run);
        cmd.Options.Add(output);
        cmd.Options.Add(metric);
        cmd.SetAction(r =>
        {
            var dir = r.GetValue(run)!;
            var path = r.GetValue(output) ?? Path.Combine(dir, "loss.png");
            using var outputs = new OutputFiles().File("--out", path);   // checked before any work
            int steps = Trainer.RedrawCurve(dir, path, r.GetValue(metric)!);
            Console.WriteLine($"{path} ({steps} steps)");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    internal static string Describe(StepMetrics m) =>
        $"step {m.Step}  loss {m.Loss:F4} ({string.Join(" ", m.Parts.Select(kv => $"{kv.Key} {kv.Value:F3}"))})  lr {m.Lr:E2}  {m.SamplesPerSecond:F1} samples/s";

    /// <summary>A live progress bar (step, loss parts, throughput, ETA) on a terminal.</summary>
    sealed class BarProgress(ProgressContext ctx) : ITrainingProgress
    {
        ProgressTask? _task;
        public void Started(long firstStep, long totalSteps)
        {
            _task = ctx.AddTask("training", maxValue: totalSteps);
            _task.Value = firstStep;
        }

        public void Step(StepMetrics m, TimeSpan eta)
        {
            if (_task == null) return;
            _task.Value = m.Step;
            _task.Description = Markup.Escape(Describe(m));
        }

        public void Message(string text) => Term.Err.WriteLine(text);
    }

    /// <summary>A line per logged step when the output is a file or a pipe (CI, nohup); <c>bench paper</c> uses it too.</summary>
    internal sealed class LineProgress(string prefix = "") : ITrainingProgress
    {
        long _total;
        public void Started(long firstStep, long totalSteps)
        {
            _total = totalSteps;
            Term.Err.WriteLine($"{prefix}training steps {firstStep + 1}..{totalSteps}");
        }

        public void Step(StepMetrics m, TimeSpan eta)
        {
            Term.Err.WriteLine($"{prefix}[{m.Step}/{_total}] {100.0 * m.Step / _total,5:F1}%  {Describe(m)}  |g| {m.GradNorm:F2}  ETA {eta:hh\\:mm\\:ss}");
        }

        public void Message(string text) => Term.Err.WriteLine(prefix + text);
    }
}
