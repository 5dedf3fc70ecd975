namespace VisualWords.Server.Inference;

/// <summary>
/// At most <c>concurrency</c> inferences run at once and at most <c>capacity</c> more wait; a
/// request beyond that is refused at once (the endpoint answers 429 with Retry-After) rather than
/// piling up memory and latency.
/// </summary>
public sealed class InferenceQueue(int concurrency, int capacity)
{
    readonly SemaphoreSlim _slots = new(concurrency, concurrency);
    int _admitted;
    int _waiting;
    double _meanSeconds = 0.5;

    /// <summary>Requests waiting for a slot now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);
    /// <summary>Requests running or waiting now.</summary>
    public int Admitted => Volatile.Read(ref _admitted);

    /// <summary>Seconds a refused client should wait: the queue ahead of it at the mean service time, at least 1.</summary>
    public int RetryAfterSeconds =>
        Math.Max(1, (int)Math.Ceiling(Volatile.Read(ref _meanSeconds) * (Admitted + 1) / concurrency));

    /// <summary>Runs <paramref name="work"/> on the thread pool when a slot frees; null when the queue is full.</summary>
    public async Task<Queued<T>?> TryRun<T>(Func<T> work, CancellationToken cancel)
    {
        if (Interlocked.Increment(ref _admitted) > concurrency + capacity)
        {
            Interlocked.Decrement(ref _admitted);
            return null;
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            Interlocked.Increment(ref _waiting);
            try { await _slots.WaitAsync(cancel); }
            finally { Interlocked.Decrement(ref _waiting); }
            double waited = clock.Elapsed.TotalMilliseconds;
            try
            {
                var started = clock.Elapsed;
                var result = await Task.Run(work, CancellationToken.None);
                Observe((clock.Elapsed - started).TotalSeconds);
                return new Queued<T>(result, waited);
            }
            finally { _slots.Release(); }
        }
        finally { Interlocked.Decrement(ref _admitted); }
    }

    void Observe(double seconds)
    {
        // An exponential moving average; a lost update under a race only delays the estimate.
        double old = Volatile.Read(ref _meanSeconds);
        Volatile.Write(ref _meanSeconds, 0.9 * old + 0.1 * seconds);
    }
}

/// <summary>A result and the milliseconds it waited for its slot.</summary>
public sealed record Queued<T>(T Value, double QueueMilliseconds);
