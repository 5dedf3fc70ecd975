namespace VisualWords.Server.Inference;

/// <summary>
/// Opened images by id, least recently used evicted first, bounded by count and by estimated
/// bytes. A session in use is held by a <see cref="SessionLease"/>; eviction removes it from the
/// cache at once but disposes it only when its last lease ends, so no request loses its tensors.
/// </summary>
public sealed class SessionCache(int maxSessions, long maxBytes) : IDisposable
{
    readonly object _gate = new();
    readonly Dictionary<string, LinkedListNode<Entry>> _byId = new();
    readonly LinkedList<Entry> _lru = new(); // most recent first
    long _bytes;

    public int Count { get { lock (_gate) return _byId.Count; } }
    public long Bytes { get { lock (_gate) return _bytes; } }

    /// <summary>A lease on the session for <paramref name="id"/>, or null when it is not cached.</summary>
    public SessionLease? TryAcquire(string id)
    {
        lock (_gate)
        {
            if (!_byId.TryGetValue(id, out var node)) return null;
            _lru.Remove(node);
            _lru.AddFirst(node);
            return node.Value.Lease();
        }
    }

    /// <summary>
    /// Caches <paramref name="image"/> under <paramref name="id"/> and leases it. If another request
    /// cached the same id meanwhile, that one is leased and <paramref name="image"/> is disposed.
    /// </summary>
    public SessionLease AddAndAcquire(string id, OpenedImage image)
    {
        var evicted = new List<Entry>();
        SessionLease lease;
        lock (_gate)
        {
            if (_byId.TryGetValue(id, out var existing))
            {
                image.Dispose();
                _lru.Remove(existing);
                _lru.AddFirst(existing);
                return existing.Value.Lease();
            }
            var entry = new Entry(id, image);
            lease = entry.Lease();
            _byId[id] = _lru.AddFirst(entry);
            _bytes += image.EstimatedBytes;
            // The new session always stays, even when it alone is over the byte budget.
            while (_byId.Count > 1 && (_byId.Count > maxSessions || _bytes > maxBytes))
            {
                var last = _lru.Last!;
                _lru.RemoveLast();
                _byId.Remove(last.Value.Id);
                _bytes -= last.Value.Image.EstimatedBytes;
                evicted.Add(last.Value);
            }
        }
        foreach (var e in evicted) e.Evict();
        return lease;
    }

    public void Dispose()
    {
        List<Entry> all;
        lock (_gate)
        {
            all = [.. _lru];
            _lru.Clear();
            _byId.Clear();
            _bytes = 0;
        }
        foreach (var e in all) e.Evict();
    }

    /// <summary>A cached session with its count of leases.</summary>
    internal sealed class Entry(string id, OpenedImage image)
    {
        public string Id { get; } = id;
        int _leases;
        bool _evicted;
        public OpenedImage Image { get; } = image;

        public SessionLease Lease()
        {
            lock (this) _leases++;
            return new SessionLease(this);
        }

        public void Evict()
        {
            lock (this)
            {
                _evicted = true;
                if (_leases > 0) return;
            }
            Image.Dispose();
        }

        public void Release()
        {
            lock (this)
            {
                if (--_leases > 0 || !_evicted) return;
            }
            Image.Dispose();
        }
    }
}

/// <summary>Keeps a cached session alive while a request uses it; dispose when done.</summary>
public sealed class SessionLease : IDisposable
{
    SessionCache.Entry? _entry;
    internal SessionLease(SessionCache.Entry entry) => _entry = entry;

    public OpenedImage Image => (_entry ?? throw new ObjectDisposedException(nameof(SessionLease))).Image;

    public void Dispose() => Interlocked.Exchange(ref _entry, null)?.Release();
}
