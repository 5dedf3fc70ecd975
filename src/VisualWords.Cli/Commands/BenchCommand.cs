using System.CommandLine;
using Spectre.Console;
using VisualWords.Evaluation;
using VisualWords.Runtime;

namespace VisualWords.Cli.Commands;

public static class BenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("bench", "Measurements that train and evaluate models end to end.");
        cmd.Subcommands.Add(Paper());
        return cmd;
    }

    static string Home => Environment.GetEnvironmentVariable("VISUALWORDS_HOME") ?? Directory.GetCurrentDirectory();

    static Command Paper()
    {
        var budget = new Option<string>("--budget")
        {
            Description = "quick (a few minutes: tiny data, 4 steps, 3 rows; checks the harness) or full (every row, ~2 hours on 2 cores).",
            DefaultValueFactory = _ => "full",
        };
        var output = new Option<string>("--out") { Description = "The Markdown report; its plots go beside it (NAME-tokens.png, NAME-curves.png).", DefaultValueFactory = _ => "docs/results.md" };
        var work = new Option<string?>("--work") { Description = "Folder for the data, runs and evaluations (default runs/paper-BUDGET); rerunning with the same folder continues and reuses finished rows." };
        var recipe = new Option<string?>("--recipe") { Description = "Base training config every row starts from (default VISUALWORDS_HOME/configs/paper-bench.json)." };
        var cmd = new Command("paper",
            "The paper's claim, measured: train every projector row (patch MLP, pooling, resampler, SVP and its ablations, SLIC / grid, grounding) " +
            "with one recipe and budget, evaluate each on val/testA/testB/compositional, and write a Markdown report with two plots.");
        var tokenizer = new Option<string?>("--tokenizer")
        {
            Description = "LLaMA SentencePiece tokenizer.model that counts the real-scale section's prompt (default VISUALWORDS_HOME/tests/fixtures/llama/tokenizer.model).",
        };
        foreach (var o in new Option[] { budget, output, work, recipe, tokenizer }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var device = GlobalOptions.Apply(r);
            NativeHeap.KeepFreedMemory();
            var b = PaperBudget.Get(r.GetValue(budget)!);
            var md = r.GetValue(output)!;
            var (tokensPng, curvesPng) = PaperBenchmarkReport.PlotPaths(md);
            var recipePath = r.GetValue(recipe) ?? Path.Combine(Home, "configs", "paper-bench.json");
            var llamaTokenizer = r.GetValue(tokenizer) ?? Path.Combine(Home, "tests", "fixtures", "llama", "tokenizer.model");
            using var outputs = new OutputFiles().Input(recipePath).Input(llamaTokenizer).File("--out", md).File("--out (plot)", tokensPng).File("--out (plot)", curvesPng);
            var workDir = r.GetValue(work) ?? Path.Combine("runs", "paper-" + b.Name);
            var provenance = Provenance.Collect("visualwords " + string.Join(' ', r.Tokens.Select(t => Quote(t.Value))), Home);

            var rows = PaperBenchmark.Run(b, recipePath, workDir, device, text => Term.Err.WriteLine(text),
                row => new TrainCommand.LineProgress($"  {row.Name}: "));
            var realScale = PaperBenchmark.RealScale(b, rows, workDir, llamaTokenizer, text => Term.Err.WriteLine(text));
            var baselines = PaperBenchmark.Baselines(b, workDir, device, text => Term.Err.WriteLine(text));
            outputs.WriteText(md, PaperBenchmarkReport.Markdown(rows, b, provenance, md, realScale, baselines));
            outputs.Write(tokensPng, s => s.Write(PaperBenchmarkPlots.TokensVersusCIoU(rows)));
            outputs.Write(curvesPng, s => s.Write(PaperBenchmarkPlots.CurvesVersusTime(rows)));
            outputs.Commit();
            AnsiConsole.WriteLine(Path.GetFullPath(md));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static string Quote(string arg) => arg.Length > 0 && arg.All(c => char.IsLetterOrDigit(c) || "-_./=:".Contains(c)) ? arg : $"'{arg}'";
}
