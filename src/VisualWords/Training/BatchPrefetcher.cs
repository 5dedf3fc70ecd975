using System.Collections.Concurrent;

namespace VisualWords.Training;

/// <summary>
/// Prepares batches ahead of the training thread on <c>workers</c> background threads, in order.
/// Batch <c>i</c> is a pure function of <c>i</c>, so which thread made it does not matter.
/// </summary>
public sealed class BatchPrefetcher : IDisposable
{
    readonly Func<long, object> _make;
    readonly int _workers;
    readonly int _depth;
    readonly ConcurrentDictionary<long, Task<object>> _pending = new();
    readonly SemaphoreSlim _slots;
    long _next;
    readonly long _end;

    public BatchPrefetcher(Func<long, object> make, long start, long end, int workers, int depth = 4)
    {
        _make = make;
        _workers = workers;
        _depth = Math.Max(1, depth);
        _next = start;
        _end = end;
        _slots = new SemaphoreSlim(_workers > 0 ? _workers : 1);
        Fill(start);
    }

    void Fill(long from)
    {
        if (_workers == 0) return;
        for (long i = from; i < Math.Min(_end, from + _depth); i++)
        {
            long idx = i;
            _pending.GetOrAdd(idx, _ => Task.Run(async () =>
            {
                await _slots.WaitAsync().ConfigureAwait(false);
                try { return _make(idx); }
                finally { _slots.Release(); }
            }));
        }
    }

    /// <summary>Returns batch <paramref name="index"/> (indices must be asked for in order).</summary>
    public object Take(long index)
    {
        if (index != _next) throw new InvalidOperationException($"batches are taken in order: expected {_next}, got {index}");
        _next++;
        if (_workers == 0) return _make(index);
        Fill(index);
        var task = _pending[index];
        var batch = task.GetAwaiter().GetResult();
        _pending.TryRemove(index, out _);
        Fill(index + 1);
        return batch;
    }

    public void Dispose()
    {
        try { Task.WaitAll(_pending.Values.ToArray<Task>(), TimeSpan.FromSeconds(30)); } catch (AggregateException) { }
        foreach (var t in _pending.Values)
            if (t.IsCompletedSuccessfully && t.Result is IDisposable d) d.Dispose();
        _slots.Dispose();
    }
}
