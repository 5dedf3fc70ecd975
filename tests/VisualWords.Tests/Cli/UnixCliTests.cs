using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using VisualWords.Cli;
using VisualWords.Imaging;
using VisualWords.Segmenter;
using VisualWords.Tests.Segmenter;
using VisualWords.Training;

namespace VisualWords.Tests.Cli;

/// <summary>The CLI as a Unix tool: locale-proof numbers, one-line errors checked before work, stdout for results.</summary>
[Collection(CliCollection.Name)]
public class UnixCliTests
{
    static readonly string SamCkpt = Fixtures.Path("amg", "amg_vit_tiny.pth");
    static readonly string Scene = Fixtures.Path("shapes", "scene.png");

    /// <summary>
    /// An untrained tiny segmenter folder (word tokenizer of a tiny ShapesWorld, vit_tiny SAM, a 256-token
    /// context), made once: these tests check the CLI around the model, not the model's answers.
    /// </summary>
    static readonly Lazy<string> TinyModel = new(() =>
    {
        var folder = Path.Combine(Path.GetTempPath(), "vw-cli-tiny-model-" + Environment.ProcessId);
        using var task = new ReferringSegmentationTask(TinySegmenter.Config(steps: 1));
        SegmenterFolder.Save(task.Segmenter, folder);
        return folder;
    });

    static string Flat(TempDir dir, string name, byte value, int w = 64, int h = 64)
    {
        var path = dir.File(name);
        ImageIO.SavePng(new RgbImage(w, h, Enumerable.Repeat(value, w * h * 3).ToArray()), path);
        return path;
    }

    static string[] SemanticArgs(string image, string output, params string[] more) =>
        ["superpixels", "--threads", "1", "--model-type", "vit_tiny", "--checkpoint", SamCkpt, "--image", image, "--out", output, "--points-per-side", "4", .. more];

    [Fact]
    public void Numbers_parse_invariantly_under_a_comma_decimal_culture()
    {
        using var dir = Fixtures.TempDir();
        var grey = Flat(dir, "grey.png", 128);
        var saved = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            Assert.Equal(",", CultureInfo.CurrentCulture.NumberFormat.NumberDecimalSeparator);   // the culture really is comma-decimal
            var (code, _, err) = CliRunner.Run(SemanticArgs(grey, dir.File("o.png"), "--pred-iou-thresh", "0.3", "--stability-score-offset", "0.5"));
            Assert.True(code == 0, err);
            Assert.Contains("iou=0.3 ", err);
            Assert.Contains("stability=0.95/0.5 ", err);
            Assert.Equal("de-DE", CultureInfo.CurrentCulture.Name);   // restored for the caller
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public async Task The_cli_process_under_LC_ALL_de_DE_reads_numbers_invariantly()
    {
        using var dir = Fixtures.TempDir();
        var grey = Flat(dir, "grey.png", 128);
        var apphost = Path.Combine(AppContext.BaseDirectory, "VisualWords.Cli");
        var psi = File.Exists(apphost) ? new ProcessStartInfo(apphost) : new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "VisualWords.Cli.dll")]);
        foreach (var a in SemanticArgs(grey, dir.File("o.png"), "--pred-iou-thresh", "0.3", "--stability-score-offset", "0.5", "--json", "-")) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "de_DE.UTF-8";
        psi.Environment["LANG"] = "de_DE.UTF-8";
        psi.Environment.Remove("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT");
        psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        using var p = Process.Start(psi)!;
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        var stdout = await stdoutTask;
        Assert.True(p.WaitForExit(120_000), "the CLI did not finish in 2 minutes");
        Assert.True(p.ExitCode == 0, stderr);
        Assert.Contains("iou=0.3 ", stderr);
        Assert.Contains("stability=0.95/0.5 ", stderr);
        using var json = JsonDocument.Parse(stdout);   // stdout holds the JSON and nothing else
        Assert.Equal(64, json.RootElement.GetProperty("width").GetInt32());
    }

    [Fact]
    public void Everything_mode_on_flat_grey_and_black_images_writes_valid_json()
    {
        using var dir = Fixtures.TempDir();
        foreach (var (name, value) in new[] { ("grey.png", (byte)128), ("black.png", (byte)0) })
        {
            var img = Flat(dir, name, value);
            var masks = dir.File(name + ".masks.json");
            var (code, _, err) = CliRunner.Run(SemanticArgs(img, dir.File(name + ".o.png"), "--masks-json", masks,
                "--pred-iou-thresh", "0", "--stability-score-thresh", "0", "--json", dir.File(name + ".regions.json")));
            Assert.True(code == 0, err);
            using var doc = JsonDocument.Parse(File.ReadAllText(masks));
            foreach (var r in doc.RootElement.EnumerateArray())
                Assert.True(r.GetProperty("stability_score").ValueKind is JsonValueKind.Number or JsonValueKind.Null);
            Assert.True(File.Exists(dir.File(name + ".regions.json")));
        }
    }

    [Fact]
    public void Outputs_that_overwrite_an_input_or_each_other_are_refused_before_any_work()
    {
        using var dir = Fixtures.TempDir();
        var image = dir.File("scene.png");
        File.Copy(Scene, image);
        var before = File.ReadAllBytes(image);
        var cases = new[]
        {
            (new[] { "--out", image }, "input"),
            (new[] { "--out", dir.File("m.png"), "--overlay", dir.File("m.png") }, "same file"),
            (new[] { "--out", "/proc/vw-test.png" }, "cannot write"),
            (new[] { "--out", dir.Path }, "folder"),
            (new[] { "--out", Path.Combine(image, "m.png") }, "not a folder"),
        };
        foreach (var (outs, expected) in cases)
        {
            // A model folder that does not exist: the output check must fail first.
            var (code, stdout, err) = CliRunner.Run(["segment", "--model", dir.File("no-model"), "--image", image, "-e", "the red hexagon", .. outs]);
            Assert.Equal(2, code);
            Assert.Single(err.Trim().Split('\n'));
            Assert.Contains(expected, err);
            Assert.Equal("", stdout);
        }
        Assert.Equal(before, File.ReadAllBytes(image));
        Assert.Equal(["scene.png"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void An_image_that_is_a_folder_or_too_thin_gets_a_clear_message()
    {
        using var dir = Fixtures.TempDir();
        var (code, _, err) = CliRunner.Run("sam", "--model-type", "vit_tiny", "--checkpoint", Fixtures.Path("sam", "sam_vit_tiny.pth"),
            "--image", dir.Path, "--point", "1,1", "--out", dir.File("m.png"));
        Assert.Equal(2, code);
        Assert.Contains("is a folder, not an image", err);

        var thin = Flat(dir, "thin.png", 90, w: 1, h: 3000);   // thinner than 1:2 x the model's SAM input size
        (code, _, err) = CliRunner.Run("segment", "--threads", "1", "--model", TinyModel.Value,
            "--image", thin, "-e", "the red circle", "--out", dir.File("m.png"));
        Assert.Equal(2, code);
        Assert.Contains("image is too thin (one side is", err);
        Assert.False(File.Exists(dir.File("m.png")));
    }

    [Theory]
    [InlineData(new[] { "info", "--threads", "abc" }, "--threads: 'abc' is not an integer")]
    [InlineData(new[] { "superpixels", "--image", "x", "--out", "y", "--pred-iou-thresh", "high" }, "--pred-iou-thresh: 'high' is not a number")]
    [InlineData(new[] { "segment", "--imag", "x.png" }, "did you mean '--image'?")]
    [InlineData(new[] { "segmnt" }, "did you mean 'segment'?")]
    [InlineData(new[] { "info", "--thread", "2" }, "did you mean '--threads'?")]
    [InlineData(new[] { "segment", "-e", "a" }, "'visualwords segment' needs --image, --out")]
    public void Parse_errors_are_one_line_and_a_usage_hint(string[] args, string expected)
    {
        var (code, stdout, err) = CliRunner.Run(args);
        Assert.Equal(2, code);
        var lines = err.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Contains(expected, lines[0]);
        Assert.StartsWith("Run 'visualwords", lines[1]);
        Assert.DoesNotContain("System.", err);
        Assert.Equal("", stdout);
    }

    [Fact]
    public void Help_names_VW_DEBUG_and_the_exit_codes()
    {
        var (code, stdout, _) = CliRunner.Run("segment", "--help");
        Assert.Equal(0, code);
        Assert.Contains("VW_DEBUG=1", stdout);
        Assert.Contains("2 bad input", stdout);
    }

    [Fact]
    public void Json_dash_writes_only_json_to_stdout()
    {
        using var dir = Fixtures.TempDir();
        var (code, stdout, _) = CliRunner.Run("checkpoint", "inspect", Fixtures.Path("checkpoints", "tiny_nested.pth"), "--json", dir.File("c.json"));
        Assert.Equal(0, code);
        Assert.Contains("tiny_nested.pth", stdout);   // the tables still go to stdout when JSON goes to a file
        using var file = JsonDocument.Parse(File.ReadAllText(dir.File("c.json")));
        (code, stdout, _) = CliRunner.Run("checkpoint", "inspect", Fixtures.Path("checkpoints", "tiny_nested.pth"), "--json", "-");
        Assert.Equal(0, code);
        using var piped = JsonDocument.Parse(stdout);
        Assert.Equal(file.RootElement.GetProperty("tensor_count").GetInt32(), piped.RootElement.GetProperty("tensor_count").GetInt32());
        Assert.False(File.Exists("-"));
    }

    [Fact]
    public void Piped_output_is_not_wrapped_and_NO_COLOR_turns_colours_off()
    {
        var saved = Environment.GetEnvironmentVariable("NO_COLOR");
        try
        {
            Environment.SetEnvironmentVariable("NO_COLOR", "1");
            var sw = new StringWriter();
            var console = Term.Create(sw);
            Assert.Equal(ColorSystem.NoColors, console.Profile.Capabilities.ColorSystem);
            Assert.False(console.Profile.Capabilities.Ansi);
            var line = string.Join(' ', Enumerable.Repeat("word", 60));
            console.MarkupLine($"[red]{line}[/]");
            Assert.Equal(line + Environment.NewLine, sw.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable("NO_COLOR", saved);
        }
    }

    [Fact]
    public void Segment_writes_the_words_overlay_scaled_up_with_a_legend_beside_it()
    {
        using var dir = Fixtures.TempDir();
        var (code, _, err) = CliRunner.Run("segment", "--threads", "1", "--model", Fixtures.ShippedModel(), "--image", Scene, "-e", "the red hexagon",
            "--out", dir.File("m.png"), "--words-overlay", dir.File("words.png"));
        Assert.True(code == 0, err);
        var words = ImageIO.Load(dir.File("words.png"));
        Assert.True(words.Width > 512 && words.Height >= 512, $"{words.Width}x{words.Height}");   // the 128-px scene at 4x, the legend right of it
    }

    [Fact]
    public void Segment_warns_about_unknown_words_and_refuses_an_over_long_expression()
    {
        using var dir = Fixtures.TempDir();
        var (code, _, err) = CliRunner.Run("segment", "--threads", "1", "--model", TinyModel.Value, "--image", Scene, "-e", "the zebra",
            "--out", dir.File("m.png"));
        Assert.True(code == 0, err);
        Assert.Contains("does not know the word(s) 'zebra'", err);
        Assert.DoesNotContain("'the'", err);

        var longExpression = string.Join(' ', Enumerable.Repeat("the red circle left of", 150));
        (code, _, err) = CliRunner.Run("segment", "--threads", "1", "--model", TinyModel.Value, "--image", Scene, "-e", longExpression, "--out", dir.File("long.png"));
        Assert.Equal(2, code);
        Assert.Contains("is too long", err);
        Assert.Contains("context holds 256", err);
        Assert.False(File.Exists(dir.File("long.png")));
    }

    [Fact]
    public void Segment_with_the_shipped_model_names_a_photo_as_out_of_domain()
    {
        using var dir = Fixtures.TempDir();
        // A VISUALWORDS_HOME whose models/visualwords-shapes is the default (shipped) model.
        var shipped = Directory.CreateDirectory(Path.Combine(dir.Path, "home", "models", "visualwords-shapes")).FullName;
        foreach (var f in Directory.GetFiles(TinyModel.Value)) File.Copy(f, Path.Combine(shipped, Path.GetFileName(f)));
        var saved = Environment.GetEnvironmentVariable("VISUALWORDS_HOME");
        Environment.SetEnvironmentVariable("VISUALWORDS_HOME", Path.Combine(dir.Path, "home"));
        try
        {
            var (code, _, err) = CliRunner.Run("segment", "--threads", "1", "--image", Fixtures.Path("sam", "truck_360x240.png"), "-e", "the red square",
                "--out", dir.File("m.png"));
            Assert.True(code == 0, err);
            Assert.Contains("trained only on synthetic ShapesWorld scenes", err);
            (code, _, err) = CliRunner.Run("segment", "--threads", "1", "--image", Scene, "-e", "the red square", "--out", dir.File("m.png"));
            Assert.True(code == 0, err);
            Assert.DoesNotContain("synthetic", err);
            // Another model folder gets no such notice, photo or not.
            (code, _, err) = CliRunner.Run("segment", "--threads", "1", "--model", TinyModel.Value, "--image", Fixtures.Path("sam", "truck_360x240.png"),
                "-e", "the red square", "--out", dir.File("m.png"));
            Assert.True(code == 0, err);
            Assert.DoesNotContain("synthetic", err);
        }
        finally
        {
            Environment.SetEnvironmentVariable("VISUALWORDS_HOME", saved);
        }
    }
}
