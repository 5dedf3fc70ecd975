using VisualWords.Bench.Serve;

namespace VisualWords.Tests.Server;

/// <summary>A short run of the bench's load test (bench/VisualWords.Bench serve-load) on a real loopback socket.</summary>
[Collection(ServerCollection.Name)]
public class ServerLoadTests
{
    [Fact]
    public async Task Under_load_the_server_answers_only_200_or_429_and_stays_live()
    {
        // One inference slot and two waiting places for eight clients: the first burst alone overflows
        // it. The images are opened before the clock starts, so that even a model whose per-image
        // work takes seconds answers expressions within the run.
        var options = InMemoryServer.Options() with { Port = 0, InferenceConcurrency = 1, QueueCapacity = 2 };
        var report = await ServeLoadBench.Measure(options, clients: 8, TimeSpan.FromSeconds(4), images: 2, warm: 2);

        Assert.True(report.Unexpected == 0, report.ToMarkdown());
        Assert.True(report.Count(200) > 0, report.ToMarkdown());
        Assert.True(report.Count(429) > 0, report.ToMarkdown());
        Assert.True(report.AnsweredByKind.ContainsKey("segment"), report.ToMarkdown());
        Assert.True(report.HealthChecks > 0 && report.HealthFailures == 0, report.ToMarkdown());
        Assert.True(report.HealthyAfter);
        Assert.InRange(report.Seconds, 4, 130); // the last requests finish after the 4 s (HttpClient timeout 120 s)
    }
}
