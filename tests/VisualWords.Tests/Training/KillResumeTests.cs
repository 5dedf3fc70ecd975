using System.Diagnostics;
using System.Text.Json;
using VisualWords.Tests.Segmenter;

namespace VisualWords.Tests.Training;

/// <summary>A real crash: the train command in a child process, killed with SIGKILL, then resumed.</summary>
[Collection(GlobalRngCollection.Name)]
public class KillResumeTests
{
    static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "VisualWords.Cli.dll");

    static Process Start(string config, string outDir, bool resume)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Cli, "--threads", "1", "train", "--config", config, "--out", outDir }) psi.ArgumentList.Add(a);
        if (resume) psi.ArgumentList.Add("--resume");
        return Process.Start(psi)!;
    }

    static double[] Losses(string outDir) => File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl"))
        .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("loss").GetDouble()).ToArray();

    [Theory]
    [InlineData("grid")]
    [InlineData("semantic")]   // visual words from SAM's everything mode, grounding on
    public void Train_killed_with_SIGKILL_resumes_with_the_uninterrupted_losses(string words)
    {
        using var dir = Fixtures.TempDir();
        var json = TinySegmenter.Config(steps: 8, superpixels: words, grounding: words == "semantic").ToJson()
            .Replace("\"checkpoint_every\": 100", "\"checkpoint_every\": 2");
        var config = dir.File("config.json");
        File.WriteAllText(config, json);

        var full = dir.File("full");
        using (var p = Start(config, full, resume: false))
        {
            p.WaitForExit(120_000);
            Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
        }

        var killed = dir.File("killed");
        using (var p = Start(config, killed, resume: false))
        {
            var marker = Path.Combine(killed, "checkpoints", "step-00000004");
            var sw = Stopwatch.StartNew();
            while (!Directory.Exists(marker) && !p.HasExited && sw.Elapsed < TimeSpan.FromSeconds(120)) Thread.Sleep(20);
            Assert.False(p.HasExited, "the run finished before it could be killed");
            p.Kill(entireProcessTree: true); // SIGKILL on Linux
            p.WaitForExit();
        }
        Assert.True(Losses(killed).Length < 8, "the kill came before the end");
        using (var p = Start(config, killed, resume: true))
        {
            p.WaitForExit(120_000);
            Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
        }
        Assert.Equal(Losses(full), Losses(killed));
    }
}
