using System.CommandLine;
using Spectre.Console;
using VisualWords.Training;

namespace VisualWords.Cli.Commands;

public static class TrainCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "Training config (JSON): model, data, optim, run sections.", Required = true };
        var outDir = new Option<string>("--out") { Description = "Run folder: checkpoints/, best/, metrics.jsonl, loss.png, config.json.", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from the newest checkpoint in --out (model, optimizer, schedule, data position)." };
        var cmd = new Command("train", "Train a model from a config; resumable after a crash with --resume.");
        cmd.Options.Add(config);
        cmd.Options.Add(outDir);
        cmd.Options.Add(resume);
        cmd.SetAction(r =>
        {
            GlobalOptions.Apply(r);
            var cfg = TrainConfig.Load(r.GetValue(config)!);
            using var task = TrainingTasks.Create(cfg);
            var trainer = new Trainer(cfg, task, r.GetValue(outDir)!, new ConsoleProgress());
            var history = trainer.Run(r.GetValue(resume));
            if (history.Count > 0)
                AnsiConsole.MarkupLine($"done: step {history[^1].Step}, loss {history[^1].Loss:F4}; metrics in {Markup.Escape(trainer.MetricsPath)}, curve in {Markup.Escape(trainer.LossCurvePath)}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>A line per logged step on redirected output; a live status line on a terminal.</summary>
    sealed class ConsoleProgress : ITrainingProgress
    {
        long _total;
        public void Started(long firstStep, long totalSteps)
        {
            _total = totalSteps;
            AnsiConsole.MarkupLine($"training steps {firstStep + 1}..{totalSteps}");
        }

        public void Step(StepMetrics m, TimeSpan eta)
        {
            var parts = string.Join(" ", m.Parts.Select(kv => $"{kv.Key} {kv.Value:F4}"));
            AnsiConsole.MarkupLine(Markup.Escape(
                $"[{m.Step}/{_total}] {100.0 * m.Step / _total,5:F1}%  loss {m.Loss:F4} ({parts})  lr {m.Lr:E2}  |g| {m.GradNorm:F2}  {m.SamplesPerSecond:F1} samples/s  ETA {eta:hh\\:mm\\:ss}"));
        }

        public void Message(string text) => AnsiConsole.MarkupLine(Markup.Escape(text));
    }
}
