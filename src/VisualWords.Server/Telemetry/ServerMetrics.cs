using System.Diagnostics.Metrics;
using VisualWords.Server.Inference;

namespace VisualWords.Server.Telemetry;

/// <summary>
/// The server's own instruments (meter "VisualWords.Server"); OpenTelemetry's Prometheus exporter
/// serves them at /metrics beside ASP.NET Core's request counts and latency histogram.
/// </summary>
public sealed class ServerMetrics
{
    public const string MeterName = "VisualWords.Server";

    readonly Counter<long> _cacheHits;
    readonly Counter<long> _cacheMisses;
    readonly Counter<long> _rejected;
    readonly Histogram<double> _stage;

    public ServerMetrics(IMeterFactory meters, InferenceQueue queue, SessionCache cache)
    {
        var meter = meters.Create(MeterName);
        _cacheHits = meter.CreateCounter<long>("vw.session_cache.hits", description: "Requests whose image session was cached");
        _cacheMisses = meter.CreateCounter<long>("vw.session_cache.misses", description: "Requests that had to open their image (SAM, visual words, LLM prefix)");
        _rejected = meter.CreateCounter<long>("vw.inference.rejected", description: "Requests refused with 429 because the inference queue was full");
        _stage = meter.CreateHistogram<double>("vw.inference.stage.duration", unit: "s", description: "Seconds per inference stage (queue, open, segment)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        meter.CreateObservableGauge("vw.inference.queue.length", () => queue.Waiting, description: "Requests waiting for an inference slot");
        meter.CreateObservableGauge("vw.inference.admitted", () => queue.Admitted, description: "Requests running or waiting");
        meter.CreateObservableGauge("vw.session_cache.sessions", () => cache.Count, description: "Image sessions cached");
        meter.CreateObservableGauge("vw.session_cache.bytes", () => cache.Bytes, unit: "By", description: "Estimated bytes of the cached sessions");
    }

    public void CacheHit() => _cacheHits.Add(1);
    public void CacheMiss() => _cacheMisses.Add(1);
    public void Rejected() => _rejected.Add(1);
    public void Stage(string stage, double milliseconds) => _stage.Record(milliseconds / 1000.0, new KeyValuePair<string, object?>("stage", stage));
}
