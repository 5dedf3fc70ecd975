using System.Diagnostics;
using VisualWords.Imaging;
using VisualWords.Server.Http;
using VisualWords.Server.Telemetry;

namespace VisualWords.Server.Inference;

/// <summary>
/// What the endpoints do: find or open an image's session (LRU cache), then run its inference
/// through the bounded queue. Refusals are <see cref="ApiProblemException"/>s (404, 429, 503).
/// </summary>
public sealed class SegmentationService(ServerOptions options, ModelHolder model, SessionCache cache, InferenceQueue queue, ServerMetrics metrics)
{
    /// <summary>Opens (or finds) the session of an uploaded image.</summary>
    public async Task<ImageInfo> Upload(byte[] bytes, CancellationToken cancel)
    {
        var adapter = RequireModel();
        var id = ImageId.Of(bytes);
        var hit = cache.TryAcquire(id);
        Count(hit);
        var queued = await Run(() => WithSession(hit, adapter, id, bytes, image => Info(id, image, hit != null, 0)), hit, cancel);
        return queued.Value with { QueueMs = queued.QueueMilliseconds };
    }

    /// <summary>Answers every expression of <paramref name="request"/> on its image.</summary>
    public async Task<SegmentResponse> Segment(SegmentRequest request, CancellationToken cancel)
    {
        var adapter = RequireModel();
        var id = request.ImageBytes is { } bytes ? ImageId.Of(bytes) : request.ImageId!;
        if (request.ImageBytes != null && request.ImageId != null && request.ImageId != id)
            throw ApiProblemException.BadRequest("image_id does not match the uploaded image (give one or the other)");
        var hit = Lookup(id, mayOpen: request.ImageBytes != null);
        Count(hit);
        var queued = await Run(() => WithSession(hit, adapter, id, request.ImageBytes, image =>
            new SegmentResponse(Info(id, image, hit != null, 0), request.Expressions.Select(e => Answer(image, e)).ToList())), hit, cancel);
        return queued.Value with { Image = queued.Value.Image with { QueueMs = queued.QueueMilliseconds } };
    }

    /// <summary>The PNG of an image's visual-words overlay, <paramref name="chosen"/> words (id → score) outlined.</summary>
    public async Task<byte[]> WordsPng(string id, IReadOnlyDictionary<int, double>? chosen, CancellationToken cancel)
    {
        RequireModel();
        var lease = Lookup(id, mayOpen: false)!;
        var queued = await Run(() => ImageIO.EncodePng(lease.Image.WordsOverlay(chosen)), lease, cancel);
        return queued.Value;
    }

    SegmenterAdapter RequireModel() =>
        model.Model ?? throw new ApiProblemException(503, "Service unavailable", model.Status, retryAfterSeconds: 5);

    /// <summary>A lease on a cached session; null when the caller brought the bytes to open it; else 404.</summary>
    SessionLease? Lookup(string id, bool mayOpen)
    {
        if (!ImageId.IsWellFormed(id)) throw ApiProblemException.NotFound($"'{Shorten(id)}' is not an image id (64 hex digits from POST /api/images)");
        var lease = cache.TryAcquire(id);
        if (lease == null && !mayOpen)
            throw ApiProblemException.NotFound($"image {id} is not (or no longer) held by this server; upload it again with POST /api/images");
        return lease;
    }

    /// <summary>Runs inference through the queue; releases <paramref name="hit"/> when done or refused.</summary>
    async Task<Queued<T>> Run<T>(Func<T> work, SessionLease? hit, CancellationToken cancel)
    {
        try
        {
            var queued = await queue.TryRun(work, cancel);
            if (queued == null)
            {
                metrics.Rejected();
                throw new ApiProblemException(429, "Too many requests",
                    $"the inference queue is full ({options.InferenceConcurrency} running, {options.QueueCapacity} waiting); retry later", queue.RetryAfterSeconds);
            }
            metrics.Stage("queue", queued.QueueMilliseconds);
            return queued;
        }
        finally { hit?.Dispose(); }
    }

    /// <summary>Calls <paramref name="use"/> on the cached session, or on one it opens (and caches) from <paramref name="bytes"/>.</summary>
    T WithSession<T>(SessionLease? hit, SegmenterAdapter adapter, string id, byte[]? bytes, Func<OpenedImage, T> use)
    {
        if (hit != null) return use(hit.Image);
        using var opened = Open(adapter, id, bytes!);
        return use(opened.Image);
    }

    SessionLease Open(SegmenterAdapter adapter, string id, byte[] bytes)
    {
        var clock = Stopwatch.StartNew();
        var image = ImageIO.Decode(bytes, "the upload", options.MaxPixels);
        var opened = adapter.Open(image);
        metrics.Stage("open", clock.Elapsed.TotalMilliseconds);
        return cache.AddAndAcquire(id, opened);
    }

    ExpressionResult Answer(OpenedImage image, string expression)
    {
        var clock = Stopwatch.StartNew();
        var a = image.Segment(expression);
        var (w, h) = (image.Width, image.Height);
        var result = new ExpressionResult(expression, a.Answer, a.MaskCount, MaskEncoding.Area(a.Mask),
            MaskEncoding.PngDataUrl(a.Mask, w, h), MaskEncoding.Rle(a.Mask, w, h), a.Words,
            new ExpressionMilliseconds(a.LlmMilliseconds, a.DecoderMilliseconds, clock.Elapsed.TotalMilliseconds));
        metrics.Stage("segment", result.TimingsMs.Total);
        return result;
    }

    static ImageInfo Info(string id, OpenedImage image, bool cacheHit, double queueMs) =>
        new(id, image.Width, image.Height, new TokenCounts(image.VisualTokens, image.PatchTokens), cacheHit,
            new OpenMilliseconds(image.Timings.SamEncoder, image.Timings.VisualWords, image.Timings.Prefix), queueMs);

    void Count(SessionLease? hit)
    {
        if (hit != null) metrics.CacheHit();
        else metrics.CacheMiss();
    }

    static string Shorten(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
