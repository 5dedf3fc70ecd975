using Microsoft.Extensions.DependencyInjection;
using VisualWords.Data;
using VisualWords.Runtime;
using VisualWords.Server;
using VisualWords.Server.Inference;

namespace VisualWords.Bench.Serve;

/// <summary>
/// <c>serve-load</c>: starts the server in this process on a free loopback port with the shipped
/// model and runs <see cref="LoadTest"/> against it (default 64 clients for 30 s).
/// </summary>
public static class ServeLoadBench
{
    public static readonly BenchRegistry.Entry Entry = new("serve-load",
        "visualwords serve under load on loopback: 64 clients x 30 s of uploads and expressions; req/s, p50/p95/p99, 429s, peak RSS", Run);

    /// <summary>Expressions the ShapesWorld model was trained on the like of.</summary>
    public static readonly string[] Expressions =
    [
        "the red hexagon", "the blue square", "the ring", "the green star", "the star", "the circle",
        "the yellow triangle", "the black disk", "the small red circle left of the blue square", "the largest shape",
    ];

    public static int Run(string[] args)
    {
        int clients = BenchArgs.Int(args, "--clients", 64);
        int seconds = BenchArgs.Int(args, "--seconds", 30);
        TorchRuntime.SetThreads(BenchArgs.Int(args, "--threads", 1));
        var options = new ServerOptions
        {
            ModelFolder = BenchArgs.Get(args, "--model") ?? DefaultModel(),
            Port = 0,
            InferenceConcurrency = BenchArgs.Int(args, "--concurrency", 2),
            QueueCapacity = BenchArgs.Int(args, "--queue", 16),
        };
        var report = Measure(options, clients, TimeSpan.FromSeconds(seconds), BenchArgs.Int(args, "--images", 16)).GetAwaiter().GetResult();
        Console.WriteLine($"# serve-load: {clients} clients, {seconds} s, concurrency {options.InferenceConcurrency}, queue {options.QueueCapacity}, torch threads {TorchSharp.torch.get_num_threads()}");
        Console.Write(report.ToMarkdown());
        Console.WriteLine($"Peak RSS (server and clients, one process): {LoadTest.PeakRssBytes() / (1024.0 * 1024.0):F0} MiB");
        return report.Unexpected == 0 && report.HealthFailures == 0 && report.HealthyAfter ? 0 : 1;
    }

    /// <summary>
    /// Starts a server with <paramref name="options"/>, loads it for <paramref name="duration"/>, stops it.
    /// The first <paramref name="warm"/> images are opened before the clock starts.
    /// </summary>
    public static async Task<LoadTestReport> Measure(ServerOptions options, int clients, TimeSpan duration, int images, int warm = 0)
    {
        await using var app = ServerHost.Create(options);
        await app.StartAsync();
        await app.Services.GetRequiredService<ModelHolder>().Loaded;
        var url = new Uri(app.Urls.First() + "/");
        var report = await LoadTest.Run(new LoadTestOptions(url, clients, duration, Scenes(images), Expressions) { WarmImages = warm });
        await app.StopAsync();
        return report;
    }

    /// <summary>Distinct 128 px ShapesWorld scenes (the shipped model's world), as PNG files.</summary>
    public static IReadOnlyList<byte[]> Scenes(int count) =>
        Enumerable.Range(0, count).Select(i => ShapesRenderer.EncodePng(ShapesWorldGenerator.Generate(21, i, new ShapesWorldOptions { Size = 128 }).Scene)).ToArray();

    static string DefaultModel()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d != null && !File.Exists(Path.Combine(d.FullName, "VisualWords.slnx"))) d = d.Parent;
        return Path.Combine(d?.FullName ?? Directory.GetCurrentDirectory(), "models", "visualwords-shapes");
    }
}
