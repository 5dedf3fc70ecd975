using System.Diagnostics;
using System.Globalization;
using System.Text;
using VisualWords.Runtime;

namespace VisualWords.Evaluation;

/// <summary>Where a measurement comes from: the command, when (UTC), the machine (<c>visualwords info</c>'s facts) and the git commit.</summary>
public sealed record Provenance(string CommandLine, DateTime Utc, IReadOnlyList<(string What, string Value)> Machine, string Commit)
{
    public static Provenance Collect(string commandLine, string repoDir) =>
        new(commandLine, DateTime.UtcNow, TorchRuntime.Describe(), GitCommit(repoDir));

    /// <summary>HEAD's hash, marked when tracked files differ from it; "unknown" outside a git checkout.</summary>
    static string GitCommit(string dir)
    {
        var head = Git(dir, "rev-parse HEAD");
        if (head is null) return "unknown (not a git checkout, or git missing)";
        return Git(dir, "status --porcelain --untracked-files=no") is { Length: > 0 } ? head + " (with uncommitted changes)" : head;
    }

    static string? Git(string dir, string args)
    {
        try
        {
            var psi = new ProcessStartInfo("git", $"-C \"{dir}\" {args}") { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            var text = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 ? text : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }
}

/// <summary>
/// The paper table as Markdown — provenance, the budget, a cost table, an accuracy table per split,
/// the SVP-vs-patch-MLP goal computed from the rows — and the two plots it shows
/// (<see cref="PaperBenchmarkPlots"/>). Every number comes from the row results.
/// </summary>
public static class PaperBenchmarkReport
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The plots' file names beside the report: results.md → results-tokens.png, results-curves.png.</summary>
    public static (string Tokens, string Curves) PlotPaths(string markdownPath)
    {
        var stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(markdownPath))!, Path.GetFileNameWithoutExtension(markdownPath));
        return (stem + "-tokens.png", stem + "-curves.png");
    }

    public static string Markdown(IReadOnlyList<PaperRowResult> rows, PaperBudget budget, Provenance from, string markdownPath)
    {
        var (tokensPlot, curvesPlot) = PlotPaths(markdownPath);
        var sb = new StringBuilder();
        sb.AppendLine("# The paper's claim, measured: visual tokens, accuracy and cost per projector").AppendLine();
        sb.AppendLine($"Written by `{from.CommandLine}` on {from.Utc.ToString("yyyy-MM-dd HH:mm", Inv)} UTC, git commit `{from.Commit}`.");
        sb.AppendLine("Nothing below is typed by hand: rerun the command to regenerate this page and its plots.").AppendLine();
        sb.AppendLine("Machine (`visualwords info`):").AppendLine();
        sb.AppendLine("| what | value |").AppendLine("|---|---|");
        foreach (var (what, value) in from.Machine) sb.AppendLine($"| {what} | {value} |");
        sb.AppendLine();
        sb.AppendLine($"Budget **{budget.Name}**: {budget.Sizing}. ShapesWorld of {budget.Images} images at {budget.ImageSize} px (seed {budget.DataSeed}); " +
                      $"every row trains {budget.Steps} steps of {budget.BatchSize} expressions from `configs/paper-bench.json` with only its own change, " +
                      $"then answers the first {budget.EvalLimit} expressions of each split with generated text (its final checkpoint).");
        sb.AppendLine();
        Goal(sb, rows);
        CostTable(sb, rows);
        AccuracyTable(sb, rows);
        sb.AppendLine("## Plots").AppendLine();
        sb.AppendLine($"![val cIoU against visual tokens per image, one point per row, Pareto front dashed]({Path.GetFileName(tokensPlot)})").AppendLine();
        sb.AppendLine($"![val gIoU (teacher-forced validation during training) against training time, patch MLP and SVP]({Path.GetFileName(curvesPlot)})").AppendLine();
        sb.AppendLine("## What the columns mean").AppendLine();
        sb.AppendLine("- **tokens/img**, **p95**: visual tokens the LLM reads per val image; **% patches**: the mean as a share of the tower's patches " +
                      $"({string.Join(", ", rows.Select(r => r.PatchesPerImage).Distinct())} per image).");
        sb.AppendLine("- **train s**, **samples/s**, **ms/step**: the training clock from the run's metrics.jsonl (sum of step times; validation and checkpoints excluded; " +
                      "each image's first visit pays SAM and, for semantic superpixels, everything mode); ms/step is the median step.");
        sb.AppendLine("- **ms first** / **ms cached**: generated answer per expression, for an image's first expression (SAM, visual words, tokens, LLM prefix) " +
                      "and for the next ones on the same image (text and mask decoder only), averaged over the splits.");
        sb.AppendLine("- **prompt**: mean tokens the LLM prefills for a first question (text + visual); **prefill GFLOPs**: `LlamaFlops.Prefill` at that length " +
                      "(projections, SwiGLU, causal attention, lm_head at the last position; 1 multiply-add = 2 FLOPs).");
        sb.AppendLine("- Accuracy: cIoU (cumulative intersection over union), gIoU (mean per-expression IoU), P@0.5 (share with IoU >= 0.5), in %; `-`: the split has no expression.");
        return sb.ToString();
    }

    /// <summary>The issue's bar for SVP against the patch MLP (seed means), computed; says by how much it is missed.</summary>
    static void Goal(StringBuilder sb, IReadOnlyList<PaperRowResult> rows)
    {
        var mlp = rows.Where(r => r.Row.StartsWith("patch-mlp", StringComparison.Ordinal)).ToList();
        var svp = rows.Where(r => r.Row is "svp" or "svp-s2").ToList();
        if (mlp.Count == 0 || svp.Count == 0 || mlp.Concat(svp).Any(r => r.Splits["val"] is null)) return;
        double Mean(List<PaperRowResult> rs, Func<PaperRowResult, double> f) => rs.Average(f);
        double dC = 100 * (Mean(svp, r => r.Splits["val"]!.CIoU) - Mean(mlp, r => r.Splits["val"]!.CIoU));
        double tokenShare = Mean(svp, r => r.TokensMean ?? double.NaN) / Mean(mlp, r => r.TokensMean ?? double.NaN);
        double speed = Mean(svp, r => r.TrainSamplesPerSecond) / Mean(mlp, r => r.TrainSamplesPerSecond);
        string Mark(bool ok) => ok ? "met" : "**not met**";
        sb.AppendLine($"## The goal: SVP against the patch MLP (mean of {svp.Count} and {mlp.Count} seeds)").AppendLine();
        sb.AppendLine($"- val cIoU: SVP {F(dC, "+0.00;-0.00")} points against the patch MLP (bar: no worse than -1): {Mark(dC >= -1)}.");
        sb.AppendLine($"- visual tokens: {F(100 * tokenShare, "0.0")}% of the patch MLP's (bar: <= 7%): {Mark(tokenShare <= 0.07)}.");
        sb.AppendLine($"- training throughput: {F(speed, "0.00")}x the patch MLP's samples/s (bar: >= 2x): {Mark(speed >= 2)}.");
        if (mlp.Count > 1 || svp.Count > 1)
            sb.AppendLine($"- run-to-run spread (max - min val cIoU over seeds): patch MLP {F(Spread(mlp), "0.00")}, SVP {F(Spread(svp), "0.00")} points.");
        sb.AppendLine();

        static double Spread(List<PaperRowResult> rs) => 100 * (rs.Max(r => r.Splits["val"]!.CIoU) - rs.Min(r => r.Splits["val"]!.CIoU));
    }

    static void CostTable(StringBuilder sb, IReadOnlyList<PaperRowResult> rows)
    {
        sb.AppendLine("## Tokens and cost").AppendLine();
        Table(sb, ["row", "what", "seed", "tokens/img", "p95", "% patches", "val cIoU", "train s", "samples/s", "ms/step", "ms first", "ms cached", "prompt", "prefill GFLOPs"],
            rows.Select(r => new[]
            {
                $"`{r.Row}`", r.Label, r.Seed.ToString(Inv), F(r.TokensMean, "0.0"), F(r.TokensP95, "0"),
                F(r.TokensMean / r.PatchesPerImage * 100, "0.0"), Pct(r.Splits["val"]?.CIoU),
                F(r.TrainSeconds, "0"), F(r.TrainSamplesPerSecond, "0.0"), F(r.MsPerStep, "0"),
                F(r.FirstMs, "0.0"), F(r.CachedMs, "0.0"), F(r.PromptTokens, "0.0"), F(r.PrefillFlops / 1e9, "0.000"),
            }));
    }

    static void AccuracyTable(StringBuilder sb, IReadOnlyList<PaperRowResult> rows)
    {
        sb.AppendLine("## Accuracy per split (%, generated answers)").AppendLine();
        var header = new List<string> { "row" };
        foreach (var split in PaperBenchmark.Splits) header.AddRange([$"{split} cIoU", $"{split} gIoU", $"{split} P@0.5"]);
        Table(sb, header, rows.Select(r => new[] { $"`{r.Row}`" }.Concat(PaperBenchmark.Splits.SelectMany(s =>
        {
            var score = r.Splits.GetValueOrDefault(s);
            return new[] { Pct(score?.CIoU), Pct(score?.GIoU), Pct(score?.PrecisionAt50) };
        })).ToArray()));
    }

    static void Table(StringBuilder sb, IReadOnlyList<string> header, IEnumerable<string[]> rows)
    {
        sb.AppendLine("| " + string.Join(" | ", header) + " |");
        sb.AppendLine("|" + string.Concat(header.Select(h => h is "row" or "what" ? "---|" : "---:|")));
        foreach (var row in rows) sb.AppendLine("| " + string.Join(" | ", row.Select(c => c.Replace("|", "\\|"))) + " |");
        sb.AppendLine();
    }

    static string F(double? v, string format) => v is double d && double.IsFinite(d) ? d.ToString(format, Inv) : "-";
    static string Pct(double? v) => F(v * 100, "0.00");
}
