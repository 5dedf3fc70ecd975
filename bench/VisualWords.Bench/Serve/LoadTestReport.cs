using System.Globalization;
using System.Text;

namespace VisualWords.Bench.Serve;

/// <summary>A load test's numbers: throughput, latency percentiles of the answered requests, status counts, health.</summary>
public sealed record LoadTestReport(
    int Clients, double Seconds, long Requests, double RequestsPerSecond, double AnsweredPerSecond,
    double P50Ms, double P95Ms, double P99Ms, IReadOnlyDictionary<int, long> ByStatus,
    IReadOnlyDictionary<string, long> AnsweredByKind, int HealthChecks, int HealthFailures, double HealthWorstMs, bool HealthyAfter)
{
    public long Count(int status) => ByStatus.TryGetValue(status, out var n) ? n : 0;

    /// <summary>Statuses other than 200 and 429 (the load test expects none).</summary>
    public long Unexpected => ByStatus.Where(p => p.Key is not (200 or 429)).Sum(p => p.Value);

    public static LoadTestReport From(IReadOnlyList<Sample> samples, double seconds, int clients, int checks, int failures, double worstMs, bool after)
    {
        var ok = samples.Where(s => s.Status == 200).Select(s => s.Milliseconds).Order().ToArray();
        return new LoadTestReport(clients, seconds, samples.Count, samples.Count / seconds, ok.Length / seconds,
            Percentile(ok, 0.50), Percentile(ok, 0.95), Percentile(ok, 0.99),
            samples.GroupBy(s => s.Status).ToDictionary(g => g.Key, g => g.LongCount()),
            samples.Where(s => s.Status == 200).GroupBy(s => s.Kind).ToDictionary(g => g.Key, g => g.LongCount()),
            checks, failures, worstMs, after);
    }

    /// <summary>Nearest-rank percentile of sorted values (NaN when there are none).</summary>
    public static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    public string ToMarkdown()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(c, $"| clients | s | requests | req/s | 200/s | p50 ms | p95 ms | p99 ms | 200 | 429 | other | /healthz checks (failed, worst ms) | healthy after |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
        sb.AppendLine(c, $"| {Clients} | {Seconds:F1} | {Requests} | {RequestsPerSecond:F1} | {AnsweredPerSecond:F1} | {P50Ms:F0} | {P95Ms:F0} | {P99Ms:F0} | {Count(200)} | {Count(429)} | {Unexpected} | {HealthChecks} ({HealthFailures}, {HealthWorstMs:F0}) | {(HealthyAfter ? "yes" : "no")} |");
        sb.AppendLine(c, $"Answered: {string.Join(", ", AnsweredByKind.OrderBy(p => p.Key).Select(p => $"{p.Value} {p.Key}"))}.");
        return sb.ToString();
    }
}
