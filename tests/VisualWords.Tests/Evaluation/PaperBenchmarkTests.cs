using System.Text.Json;
using VisualWords.Evaluation;
using VisualWords.Imaging;
using VisualWords.Language;
using VisualWords.Segmenter;
using VisualWords.Tests.Cli;
using VisualWords.Training;

namespace VisualWords.Tests.Evaluation;

[Collection(CliCollection.Name)]
public class PaperBenchmarkTests
{
    static string Recipe => Path.Combine(Fixtures.RepoRoot(), "configs", "paper-bench.json");

    /// <summary>
    /// `bench paper --budget quick` end to end (data, three rows trained and evaluated, report, plots):
    /// checks the report and the plots are there and well-formed, not the numbers. A second run
    /// reuses every finished row.
    /// </summary>
    [Fact]
    public void Quick_budget_writes_the_report_and_plots_and_a_rerun_reuses_the_rows()
    {
        using var dir = Fixtures.TempDir();
        var md = dir.File("results.md");
        string[] args = ["--threads", "1", "bench", "paper", "--budget", "quick", "--work", dir.File("work"), "--out", md, "--recipe", Recipe,
            "--tokenizer", Path.Combine(Fixtures.RepoRoot(), "tests", "fixtures", "llama", "tokenizer.model")];
        var (code, stdout, err) = CliRunner.Run(args);
        Assert.True(code == 0, err);
        Assert.Equal(Path.GetFullPath(md), stdout.Trim());

        var text = File.ReadAllText(md);
        Assert.Contains("Written by `visualwords --threads 1 bench paper --budget quick", text);
        Assert.Contains("git commit `", text);
        Assert.Contains("| VisualWords |", text);                                   // the machine, as `info` prints it
        Assert.Contains("| row | what | seed | tokens/img | p95 | % patches | val cIoU |", text);
        Assert.Contains("| row | val cIoU | val gIoU | val P@0.5 | testA cIoU |", text);
        foreach (var row in PaperBudget.Quick.Rows)
            Assert.Equal(2, text.Split('\n').Count(l => l.StartsWith($"| `{row}` |", StringComparison.Ordinal)));   // one line in each table
        Assert.Contains("## The goal: SVP against the patch MLP", text);
        // The real-scale section (tiny stand-ins in the quick budget): every part, both pipelines, SVP at its measured tokens and at the paper's 7%.
        Assert.Contains("## The same question at real scale: tiny stand-ins", text);
        Assert.Contains("| **an image's first question** | **", text);
        Assert.Contains("SVP's mean on ShapesWorld val, measured above", text);
        Assert.Contains("the paper's ~93% fewer", text);
        Assert.True(File.Exists(dir.File("work/real-scale.json")));
        // Chance: baselines on the same splits, and the goal says where the rows stand against them.
        Assert.Contains("| baseline: random superpixel (semantic", text);
        Assert.Contains("| baseline: whole image |", text);
        Assert.Contains("- chance: the best expression-blind baseline on val scores cIoU ", text);
        foreach (var split in PaperBenchmark.Splits) Assert.True(File.Exists(dir.File($"work/baselines/{split}.json")), split);
        var (tokensPng, curvesPng) = PaperBenchmarkReport.PlotPaths(md);
        Assert.Contains($"]({Path.GetFileName(tokensPng)})", text);
        Assert.Contains($"]({Path.GetFileName(curvesPng)})", text);
        foreach (var png in new[] { tokensPng, curvesPng })
        {
            var image = ImageIO.Load(png);
            Assert.Equal((960, 620), (image.Width, image.Height));
        }

        // Each row's result is complete: tokens, every split scored, a training curve, the prefill cost.
        foreach (var row in PaperBudget.Quick.Rows)
        {
            using var result = JsonDocument.Parse(File.ReadAllText(dir.File($"work/rows/{row}/result.json")));
            var r = result.RootElement;
            Assert.True(r.GetProperty("tokens_mean").GetDouble() > 0);
            foreach (var split in PaperBenchmark.Splits) Assert.Equal(JsonValueKind.Object, r.GetProperty("splits").GetProperty(split).ValueKind);
            Assert.Equal(2, r.GetProperty("curve").GetArrayLength());
            Assert.True(r.GetProperty("prefill_flops").GetDouble() > 0);
            Assert.True(File.Exists(dir.File($"work/rows/{row}/train.json")));
        }

        (code, _, err) = CliRunner.Run(args);
        Assert.True(code == 0, err);
        Assert.Equal(PaperBudget.Quick.Rows.Count, err.Split('\n').Count(l => l.Contains("finished earlier, reusing")));
        Assert.DoesNotContain("training steps", err);
    }

    [Fact]
    public void Every_row_is_the_base_recipe_plus_its_own_change()
    {
        var rows = PaperRow.All.ToDictionary(r => r.Name, r => PaperBenchmark.RowConfig(Recipe, PaperBudget.Full, r, "/data"));
        VisualWordsConfig Model(string row) => VisualWordsConfig.Parse(
            JsonSerializer.SerializeToElement(rows[row]["model"]!["config"]), row);
        foreach (var (name, config) in rows)
        {
            var train = TrainConfig.Parse(config.ToJsonString(), name);
            Assert.Equal(PaperBudget.Full.Steps, train.Run.Steps);
            Assert.Equal(PaperRow.Get(name).Seed, train.Run.Seed);
            Assert.True(Path.IsPathRooted(config["model"]!["init_sam"]!.GetValue<string>()));
            Assert.True(File.Exists(config["model"]!["init_vision_tower"]!.GetValue<string>()));   // every row starts from the same tower
            var m = Model(name);
            m.Validate();
            _ = m.ProjectorConfig(256);   // the projector name parses
        }
        // Only the named switch differs from SVP.
        var svp = Model("svp");
        Assert.Equal(("semantic", "semantic", false), (svp.Projector, svp.Superpixels.Kind, svp.Grounding));
        Assert.Equal(svp with { Projector = "mlp2x_gelu", Superpixels = svp.Superpixels with { Kind = "grid" } }, Model("patch-mlp"), new JsonEquality());
        Assert.Equal(svp with { Superpixels = svp.Superpixels with { Kind = "slic" } }, Model("svp-slic"), new JsonEquality());
        Assert.Equal(svp with { Grounding = true }, Model("svp-grounding"), new JsonEquality());
        Assert.Equal(svp with { Projector = "semantic-no-ssa" }, Model("svp-no-ssa"), new JsonEquality());
        // Without SSPE there is no positional embedding to carry the region's colour (Validate refuses the pair).
        Assert.Equal(svp with { Projector = "semantic-no-sspe", SspeColour = false }, Model("svp-no-sspe"), new JsonEquality());
        Assert.Equal(svp with { Projector = "semantic-pool-only", SspeColour = false }, Model("svp-pool-only"), new JsonEquality());
        Assert.Throws<BadInputException>(() => (Model("svp-no-sspe") with { SspeColour = true }).Validate());
        Assert.Equal(rows["svp"].ToJsonString().Replace("\"seed\":1", "\"seed\":2"), rows["svp-s2"].ToJsonString());
    }

    /// <summary>Configs hold JsonElements (no value equality): compare their JSON.</summary>
    sealed class JsonEquality : IEqualityComparer<VisualWordsConfig>
    {
        public bool Equals(VisualWordsConfig? a, VisualWordsConfig? b) => a?.ToJson() == b?.ToJson();
        public int GetHashCode(VisualWordsConfig c) => c.ToJson().GetHashCode();
    }

    [Fact]
    public void Prefill_flops_follow_the_documented_formula()
    {
        var c = new LlamaConfig { HiddenSize = 8, IntermediateSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2, NumKeyValueHeads = 1, VocabSize = 10 };
        // d = 8, d_kv = 1 * 4 = 4: per position 2*8*(8+8+8) + 6*8*16 = 384 + 768; attention at T = 3: 2*8*3*4 = 192.
        Assert.Equal(2 * (3 * (384.0 + 768) + 192) + 2 * 8 * 10, LlamaFlops.Prefill(c, 3));
        // LLaMA-7B, one position: ~2 x 6.5e9 multiply-adds (the weights, less the embedding table).
        Assert.InRange(LlamaFlops.Prefill(LlamaConfig.Llama2_7B, 1), 12.9e9, 13.3e9);
    }

    [Fact]
    public void Pareto_front_keeps_the_rows_nothing_beats_with_fewer_tokens()
    {
        var front = PaperBenchmarkPlots.ParetoFront([(2, 10), (1, 5), (3, 8), (4, 12), (1, 3), (5, 12)]);
        Assert.Equal([(1.0, 5.0), (2.0, 10.0), (4.0, 12.0)], front);
    }
}
