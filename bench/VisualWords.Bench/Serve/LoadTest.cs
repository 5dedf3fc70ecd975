using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace VisualWords.Bench.Serve;

/// <summary>What a load test sends: where, how many clients for how long, and which images and expressions.</summary>
public sealed record LoadTestOptions(Uri BaseUrl, int Clients, TimeSpan Duration, IReadOnlyList<byte[]> Images, IReadOnlyList<string> Expressions)
{
    /// <summary>Share of requests that upload an image (the rest segment an uploaded one).</summary>
    public double UploadShare { get; init; } = 0.2;
    /// <summary>Longest a client honours a Retry-After (the run is bounded by <see cref="Duration"/> anyway).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan HealthInterval { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>The first this many images are uploaded before the clock starts, and every client knows them.</summary>
    public int WarmImages { get; init; }
    public int Seed { get; init; } = 1;
}

/// <summary>
/// Closed-loop clients on loopback: each uploads images (POST /api/images) and segments the ones
/// it uploaded (POST /api/segment), honouring 429's Retry-After, until the duration ends; a
/// monitor calls /healthz throughout and once after. Bounded in time and count, it stops itself.
/// </summary>
public static class LoadTest
{
    public static async Task<LoadTestReport> Run(LoadTestOptions o)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = o.Clients + 1 })
        {
            BaseAddress = o.BaseUrl,
            Timeout = TimeSpan.FromSeconds(120),
        };
        var warm = await Warm(http, o);
        var samples = new ConcurrentBag<Sample>();
        var clock = Stopwatch.StartNew();
        var deadline = o.Duration;
        using var stopHealth = new CancellationTokenSource();
        var health = Monitor(http, o.HealthInterval, stopHealth.Token);
        var clients = Enumerable.Range(0, o.Clients).Select(c => Client(http, o, c, warm, clock, deadline, samples)).ToArray();
        await Task.WhenAll(clients);
        double seconds = clock.Elapsed.TotalSeconds;
        stopHealth.Cancel();
        var (checks, failures, worstMs) = await health;
        bool after = await Healthy(http);
        return LoadTestReport.From([.. samples], seconds, o.Clients, checks, failures, worstMs, after);
    }

    static async Task Client(HttpClient http, LoadTestOptions o, int index, IReadOnlyList<string> warm, Stopwatch clock, TimeSpan deadline, ConcurrentBag<Sample> samples)
    {
        var rng = new Random(o.Seed * 7919 + index);
        var ids = new List<string>(warm);
        while (clock.Elapsed < deadline)
        {
            bool upload = ids.Count == 0 || rng.NextDouble() < o.UploadShare;
            var started = clock.Elapsed;
            using var response = upload
                ? await http.PostAsync("api/images", Form(o.Images[rng.Next(o.Images.Count)]))
                : await http.PostAsJsonAsync("api/segment", new { image_id = ids[rng.Next(ids.Count)], expressions = new[] { o.Expressions[rng.Next(o.Expressions.Count)] } });
            var elapsed = clock.Elapsed - started;
            samples.Add(new Sample(upload ? "upload" : "segment", (int)response.StatusCode, elapsed.TotalMilliseconds));
            if (response.StatusCode == HttpStatusCode.OK && upload)
            {
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                var id = body.RootElement.GetProperty("id").GetString()!;
                if (!ids.Contains(id)) ids.Add(id);
            }
            else if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                var left = deadline - clock.Elapsed;
                var pause = new[] { wait, o.MaxBackoff, left }.Min();
                if (pause > TimeSpan.Zero) await Task.Delay(pause);
            }
        }
    }

    /// <summary>Uploads the warm images one by one (unmeasured) and returns their ids.</summary>
    static async Task<IReadOnlyList<string>> Warm(HttpClient http, LoadTestOptions o)
    {
        var ids = new List<string>();
        foreach (var png in o.Images.Take(o.WarmImages))
        {
            using var r = await http.PostAsync("api/images", Form(png));
            r.EnsureSuccessStatusCode();
            using var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            ids.Add(body.RootElement.GetProperty("id").GetString()!);
        }
        return ids;
    }

    static MultipartFormDataContent Form(byte[] png)
    {
        var file = new ByteArrayContent(png);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return new MultipartFormDataContent { { file, "image", "load.png" } };
    }

    static async Task<(int Checks, int Failures, double WorstMs)> Monitor(HttpClient http, TimeSpan interval, CancellationToken stop)
    {
        int checks = 0, failures = 0;
        double worst = 0;
        while (!stop.IsCancellationRequested)
        {
            var sw = Stopwatch.StartNew();
            checks++;
            if (!await Healthy(http)) failures++;
            worst = Math.Max(worst, sw.Elapsed.TotalMilliseconds);
            try { await Task.Delay(interval, stop); } catch (OperationCanceledException) { }
        }
        return (checks, failures, worst);
    }

    static async Task<bool> Healthy(HttpClient http)
    {
        try
        {
            using var r = await http.GetAsync("healthz");
            return r.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException) { return false; }
    }

    /// <summary>Peak resident set of this process (VmHWM), in bytes; 0 where /proc is missing.</summary>
    public static long PeakRssBytes()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return 0;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line == null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}

/// <summary>One request: its kind (upload or segment), HTTP status and latency.</summary>
public sealed record Sample(string Kind, int Status, double Milliseconds);
