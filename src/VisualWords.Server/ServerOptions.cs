namespace VisualWords.Server;

/// <summary>Everything <c>visualwords serve</c> can be told; the defaults fit one 2-core replica.</summary>
public sealed record ServerOptions
{
    /// <summary>Model folder (ours or LISA-format), as for <c>segment --model</c>.</summary>
    public required string ModelFolder { get; init; }
    /// <summary>Interface to listen on: "localhost" (loopback only) or "0.0.0.0" (all, as in a container).</summary>
    public string Host { get; init; } = "localhost";
    /// <summary>TCP port; 0 picks a free one (tests, the load test).</summary>
    public int Port { get; init; } = 8080;
    /// <summary>Largest accepted request body (the upload plus its multipart framing).</summary>
    public long MaxUploadBytes { get; init; } = 20L * 1024 * 1024;
    /// <summary>Largest accepted image, checked from the header before decoding.</summary>
    public long MaxPixels { get; init; } = 16_000_000;
    /// <summary>Longest accepted expression, in characters.</summary>
    public int MaxExpressionLength { get; init; } = 200;
    /// <summary>Most expressions one /api/segment request may carry.</summary>
    public int MaxExpressionsPerRequest { get; init; } = 8;
    /// <summary>Requests that run inference at the same time.</summary>
    public int InferenceConcurrency { get; init; } = 2;
    /// <summary>Requests that may wait for an inference slot; one more gets 429.</summary>
    public int QueueCapacity { get; init; } = 16;
    /// <summary>Image sessions (SAM embedding, visual words, LLM prefix) kept, least recently used evicted first.</summary>
    public int CacheSessions { get; init; } = 64;
    /// <summary>Estimated bytes all cached sessions may hold together.</summary>
    public long CacheBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelFolder)) throw new ArgumentException("the model folder is empty");
        if (Port is < 0 or > 65535) throw new ArgumentException($"port {Port} is not in 0..65535");
        Positive(MaxUploadBytes, "max upload bytes");
        Positive(MaxPixels, "max pixels");
        Positive(MaxExpressionLength, "max expression length");
        Positive(MaxExpressionsPerRequest, "max expressions per request");
        Positive(InferenceConcurrency, "inference concurrency");
        if (QueueCapacity < 0) throw new ArgumentException($"queue capacity {QueueCapacity} is negative");
        Positive(CacheSessions, "cache sessions");
        Positive(CacheBytes, "cache bytes");
    }

    static void Positive(long value, string name)
    {
        if (value <= 0) throw new ArgumentException($"{name} must be positive, got {value}");
    }
}
