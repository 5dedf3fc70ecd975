using System.Text.Json;
using System.Text.RegularExpressions;
using VisualWords.Imaging;
using VisualWords.Segmenter;
using VisualWords.Tests.Cli;

namespace VisualWords.Tests.Segmenter;

/// <summary><c>segment</c>'s work lives in <see cref="SegmentRun"/>: the command writes exactly what it makes.</summary>
[Collection(CliCollection.Name)] // runs the segment command, which redirects the console
public class SegmentRunTests
{
    [Fact]
    public void Run_makes_the_files_and_the_report_the_segment_command_writes()
    {
        using var dir = Fixtures.TempDir();
        var scene = Fixtures.Path("shapes", "scene.png");
        string[] exprs = ["the red hexagon", "the ring"];
        var (code, stdout, err) = CliRunner.Run("segment", "--threads", "1", "--model", Fixtures.ShippedModel(), "--image", scene,
            "-e", exprs[0], "-e", exprs[1], "--out", dir.File("mask.png"), "--words-overlay", dir.File("words.png"), "--json", dir.File("out.json"));
        Assert.True(code == 0, err);

        var maskPaths = SegmentRun.NumberedPaths(dir.File("mask.png"), 2);
        Assert.Equal([dir.File("mask-1.png"), dir.File("mask-2.png")], maskPaths);
        var written = new List<(string Path, byte[] Bytes)>();
        var notes = new List<string>();
        var stages = new List<string>();
        var feedback = new RunFeedback((status, work) => { stages.Add(status); work(); }, notes.Add, notes.Add);
        var result = SegmentRun.Run(new SegmentRun.Request(Fixtures.ShippedModel(), scene, exprs, maskPaths, WordsOverlayPath: dir.File("words.png")),
            device: null, (path, write) =>
            {
                using var ms = new MemoryStream();
                write(ms);
                written.Add((path, ms.ToArray()));
            }, feedback);

        Assert.Equal(["loading the model", "encoding the image (SAM, visual words, LLM prefix)", "answering"], stages);
        Assert.Empty(notes);   // a 128-px synthetic scene: decoded at full size, every word known, no photo note
        // The same files, in the order masks then the words overlay; the masks are the command's, byte for byte.
        Assert.Equal([.. maskPaths, dir.File("words.png")], written.Select(w => w.Path));
        Assert.Equal(File.ReadAllBytes(maskPaths[0]), written[0].Bytes);
        Assert.Equal(File.ReadAllBytes(maskPaths[1]), written[1].Bytes);
        Assert.Equal(ImageIO.Load(dir.File("words.png")).Pixels, ImageIO.Decode(written[2].Bytes).Pixels);

        // The report is the command's --json (timings aside), field names included.
        var report = result.Report;
        var cli = SegmentReport.FromJson(File.ReadAllText(dir.File("out.json")));
        Assert.Equal((scene, 128, 128, 128, 128), (cli.Image, cli.Width, cli.Height, cli.DecodedWidth, cli.DecodedHeight));
        Assert.Equal((cli.Image, cli.Width, cli.Height, cli.VisualTokens), (report.Image, report.Width, report.Height, report.VisualTokens));
        Assert.Equal(2, report.Results.Count);
        foreach (var (mine, theirs) in report.Results.Zip(cli.Results))
        {
            Assert.Equal((theirs.Expression, theirs.Answer, theirs.Masks, theirs.Area, theirs.Mask), (mine.Expression, mine.Answer, mine.Masks, mine.Area, mine.Mask));
            Assert.Equal(theirs.Words.Select(ws => ws.Select(w => w.Region)), mine.Words.Select(ws => ws.Select(w => w.Region)));
            foreach (var (a, b) in mine.Words.SelectMany(w => w).Zip(theirs.Words.SelectMany(w => w))) Assert.Equal(b.Score, a.Score, 1e-4);
        }
        var (mask, _, _) = ImageIO.LoadMaskPng(maskPaths[0]);
        Assert.Equal(mask.LongCount(b => b), report.Results[0].Area);
        Assert.Equal(report.Results[0].Area, result.DecodedArea(0));   // decoded at full size
        Assert.NotEmpty(SegmentRun.ChosenWords(result.Answers));       // the shipped model grounds its answers

        using var json = JsonDocument.Parse(report.ToJson());
        var root = json.RootElement;
        Assert.Equal(["image", "width", "height", "decoded_width", "decoded_height", "visual_tokens", "timings_ms", "results"], Names(root));
        Assert.Equal(["decode", "load", "sam_encoder", "visual_words", "prefix"], Names(root.GetProperty("timings_ms")));
        var first = root.GetProperty("results")[0];
        Assert.Equal(["expression", "answer", "masks", "area", "mask", "words", "timings_ms"], Names(first));
        Assert.Equal(["region", "score"], Names(first.GetProperty("words")[0][0]));
        Assert.Equal(["llm", "decoder"], Names(first.GetProperty("timings_ms")));

        // The summary lines the command printed come from the same report (colours aside).
        var plain = Regex.Replace(stdout, "\u001b\\[[0-9;]*m", "");
        Assert.Contains($"{report.VisualTokens} visual tokens; load", plain);
        Assert.Contains($"the red hexagon → {report.Results[0].Answer}  ({report.Results[0].Masks} mask(s), {report.Results[0].Area:N0} px at 128x128)", plain);
    }

    static List<string> Names(JsonElement e) => e.EnumerateObject().Select(p => p.Name).ToList();
}
