using VisualWords.Data;
using VisualWords.Evaluation;
using VisualWords.Imaging;
using VisualWords.Tests.Cli;

namespace VisualWords.Tests.Evaluation;

[Collection(CliCollection.Name)]
public class EvaluatorTests
{
    static readonly ShapesWorldOptions Tiny = new() { Size = 64, ValFraction = 0.5, TestAFraction = 0, TestBFraction = 0, CompositionalFraction = 0 };

    /// <summary>Answers with the true masks in sample order, and a made-up token count per image.</summary>
    sealed class Oracle(Queue<bool[]> masks) : IReferringPredictor
    {
        public string Name => "oracle";
        public ReferringPrediction Predict(RgbImage image, string expression) =>
            new(TorchSharp.torch.tensor(masks.Dequeue(), new long[] { image.Height, image.Width }), image.Pixels[0] % 7 + 10);
    }

    [Fact]
    public void Whole_image_and_oracle_scores_are_exact()
    {
        using var dir = Fixtures.TempDir();
        ShapesWorldWriter.Write(dir.Path, 6, seed: 1, Tiny, threads: 1);
        var ds = ReferDataset.Open(dir.Path);
        var samples = ds.Samples("train").Samples;
        var areas = samples.Select(s => (double)RleOps.Area(ds.Mask(s))).ToList();
        var oracle = new Oracle(new Queue<bool[]>(samples.Select(s => RleEncoding.Decode(ds.Mask(s)))));

        var report = ReferringEvaluator.Evaluate(ds, "train", [new WholeImageBaseline(), oracle]);
        Assert.Equal(samples.Count, report.Expressions);
        var whole = report.Rows[0];
        Assert.Equal(areas.Sum() / (samples.Count * 64.0 * 64), whole.CIoU, 12);
        Assert.Equal(areas.Average(a => a / (64.0 * 64)), whole.GIoU, 12);
        Assert.Equal(0, whole.PrecisionAt["0.5"]);
        Assert.Null(whole.VisualTokensMean);
        var best = report.Rows[1];
        Assert.Equal((1.0, 1.0, 1.0), (best.CIoU, best.GIoU, best.PrecisionAt["0.9"]));
        var tokens = samples.Select(s => s.Image.Id).Distinct()
            .Select(id => (double)(ImageIO.Load(Path.Combine(dir.Path, "images", ds.Instances.Images[id].FileName)).Pixels[0] % 7 + 10)).ToList();
        Assert.Equal(tokens.Average(), best.VisualTokensMean!.Value, 12);
        Assert.Equal(Percentiles.Of(tokens, 0.95), best.VisualTokensP95!.Value, 12);
        Assert.True(best.LatencyMeanMs >= 0 && best.LatencyP95Ms >= 0);
        // An image's first expression and the others split the same latencies.
        int images = samples.Select(s => s.Image.Id).Distinct().Count();
        Assert.True(images < samples.Count);
        Assert.Equal(best.LatencyMeanMs, (best.LatencyFirstMs!.Value * images + best.LatencyCachedMs!.Value * (samples.Count - images)) / samples.Count, 9);

        // JSON round trip and Markdown.
        var back = EvaluationReport.FromJson(report.ToJson());
        Assert.Equal(report.Rows[0].CIoU, back.Rows[0].CIoU);
        Assert.Equal(report.Rows[1].PrecisionAt["0.7"], back.Rows[1].PrecisionAt["0.7"]);
        var md = report.ToMarkdown();
        Assert.Contains("| oracle | 100.00 | 100.00 | 100.00 |", md);
        Assert.Contains($"| whole image | {100 * whole.CIoU:F2} |", md);

        // ShapesWorld names each expression's kind: the scores per kind partition the expressions,
        // and the whole-image gIoU per kind is the mean over that kind's expressions.
        var kinds = samples.GroupBy(s => s.Sentence.Kind!).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(kinds.Keys.Order(), whole.ByKind!.Keys.Order());
        Assert.Equal(samples.Count, whole.ByKind.Values.Sum(k => k.Expressions));
        foreach (var (kind, list) in kinds)
        {
            Assert.Equal(list.Count, whole.ByKind[kind].Expressions);
            Assert.Equal(list.Average(s => RleOps.Area(ds.Mask(s)) / (64.0 * 64)), whole.ByKind[kind].GIoU, 12);
            Assert.Equal(1.0, best.ByKind![kind].PrecisionAt05);
        }
        Assert.Equal(whole.ByKind.Keys.Order(), back.Rows[0].ByKind!.Keys.Order());
        Assert.Contains($"| oracle | {kinds.Keys.Order().First()} | {kinds[kinds.Keys.Order().First()].Count} | 100.00 | 100.00 | 100.00 |", md);

        // --limit takes the first N expressions.
        Assert.Equal(2, ReferringEvaluator.Evaluate(ds, "train", [new WholeImageBaseline()], limit: 2).Expressions);
    }

    [Fact]
    public void Missing_image_fails_clearly_or_is_skipped_and_counted()
    {
        using var dir = Fixtures.TempDir();
        ShapesWorldWriter.Write(dir.Path, 6, seed: 1, Tiny, threads: 1);
        var ds = ReferDataset.Open(dir.Path);
        var first = ds.Samples("train").Samples[0];
        int onThatImage = ds.Samples("train").Samples.Count(s => s.Image.Id == first.Image.Id);
        File.Delete(first.ImagePath);
        var e = Assert.Throws<BadInputException>(() => ReferringEvaluator.Evaluate(ds, "train", [new WholeImageBaseline()]));
        Assert.Contains(Path.GetFileName(first.ImagePath), e.Message);
        var report = ReferringEvaluator.Evaluate(ds, "train", [new WholeImageBaseline()], skipMissingImages: true);
        Assert.Equal(onThatImage, report.SkippedMissingImages);
        Assert.Contains($"{onThatImage} skipped", report.ToMarkdown());
    }

    [Fact]
    public void Eval_command_prints_a_table_and_writes_json_and_markdown()
    {
        using var dir = Fixtures.TempDir();
        ShapesWorldWriter.Write(dir.Path, 4, seed: 2, Tiny, threads: 1);
        var json = Path.Combine(dir.Path, "out", "report.json");
        var (code, output, err) = CliRunner.Run("eval", "--data", dir.Path, "--split", "train", "--baseline", "whole,largest,random",
            "--superpixels", "grid:4", "--json", json, "--limit", "5");
        Assert.True(code == 0, err);
        Assert.Contains("whole image", output);
        var report = EvaluationReport.FromJson(File.ReadAllText(json));
        Assert.Equal(["whole image", "largest superpixel (grid 4x4)", "random superpixel (grid 4x4)"], report.Rows.Select(r => r.Predictor));
        Assert.Equal(5, report.Expressions);
        Assert.True(File.Exists(Path.ChangeExtension(json, ".md")));
        Assert.Equal(2, CliRunner.Run("eval", "--data", dir.Path, "--split", "train", "--baseline", "oracle").Code);
        Assert.Equal(2, CliRunner.Run("eval", "--data", dir.Path, "--split", "nosuch").Code);
        Assert.Equal(2, CliRunner.Run("eval", "--data", dir.Path, "--split", "train", "--superpixels", "blobs").Code);
    }

    [Fact]
    public void EvalRun_scores_the_rows_the_eval_command_reports_and_refuses_bad_input_before_scoring()
    {
        using var dir = Fixtures.TempDir();
        ShapesWorldWriter.Write(dir.Path, 4, seed: 2, Tiny, threads: 1);
        var json = Path.Combine(dir.Path, "report.json");
        var (code, _, err) = CliRunner.Run("eval", "--data", dir.Path, "--split", "train", "--baseline", "whole,largest,random",
            "--superpixels", "grid:4", "--json", json, "--limit", "5");
        Assert.True(code == 0, err);
        var cli = EvaluationReport.FromJson(File.ReadAllText(json));

        var request = new EvalRequest(dir.Path, "train", [], Baselines: "whole,largest,random", Superpixels: "grid:4", Limit: 5);
        using (var run = EvalRun.Open(request, device: null))
        {
            Assert.Equal(["whole image", "largest superpixel (grid 4x4)", "random superpixel (grid 4x4)"], run.Predictors.Select(p => p.Name));
            var progress = new List<(int Done, int Total)>();
            var report = run.Evaluate((done, total) => progress.Add((done, total)));
            Assert.Equal(Enumerable.Range(1, 5).Select(k => (k, 5)), progress);
            Assert.Equal((cli.Dataset, cli.Split, cli.Expressions), (report.Dataset, report.Split, report.Expressions));
            // Scores are the command's exactly (the random baseline has the same default seed); latencies are not compared.
            foreach (var (mine, theirs) in report.Rows.Zip(cli.Rows, (a, b) => (a, b)))
            {
                Assert.Equal((theirs.Predictor, theirs.CIoU, theirs.GIoU), (mine.Predictor, mine.CIoU, mine.GIoU));
                Assert.Equal(theirs.PrecisionAt.OrderBy(p => p.Key), mine.PrecisionAt.OrderBy(p => p.Key));
            }
        }

        Assert.Contains("unknown baseline 'oracle'", Assert.Throws<BadInputException>(() => EvalRun.Open(request with { Baselines = "oracle" }, null)).Message);
        Assert.Contains("--superpixels 'blobs'", Assert.Throws<BadInputException>(() => EvalRun.Open(request with { Superpixels = "blobs" }, null)).Message);
        // The mask source is checked before any checkpoint is loaded.
        Assert.Contains("--mask-from 'pixels'", Assert.Throws<BadInputException>(
            () => EvalRun.Open(request with { Checkpoints = [Fixtures.ShippedModel()], MaskFrom = "pixels" }, null)).Message);
    }
}
