using VisualWords.Imaging;
using VisualWords.Server.Inference;

namespace VisualWords.Tests.Server;

/// <summary>The LRU session cache with the shipped model's sessions: bounds, and leases outliving eviction.</summary>
[Collection(ServerCollection.Name)]
public class SessionCacheTests
{
    [Fact]
    public void An_evicted_session_in_use_stays_usable_until_its_lease_ends()
    {
        using var model = SegmenterAdapter.Load(Fixtures.ShippedModel());
        using var cache = new SessionCache(maxSessions: 1, maxBytes: long.MaxValue);
        var scene = ImageIO.Load(Fixtures.Path("shapes", "scene.png"));
        var first = cache.AddAndAcquire("a", model.Open(scene));
        Assert.True(first.Image.EstimatedBytes > 0);

        using (cache.AddAndAcquire("b", model.Open(ImageIO.Load(Fixtures.Path("images", "gray.png"))))) { }
        Assert.Null(cache.TryAcquire("a"));            // evicted: the cache holds one session
        Assert.Equal(1, cache.Count);
        Assert.Contains("[SEG]", first.Image.Segment("the ring").Answer); // but its request still has it

        var image = first.Image;
        first.Dispose();                               // the last lease: now it is disposed
        Assert.ThrowsAny<Exception>(() => image.Segment("the ring"));
    }

    [Fact]
    public void The_same_id_added_twice_keeps_the_first_session_and_its_bytes_once()
    {
        using var model = SegmenterAdapter.Load(Fixtures.ShippedModel());
        using var cache = new SessionCache(maxSessions: 4, maxBytes: long.MaxValue);
        var scene = ImageIO.Load(Fixtures.Path("shapes", "scene.png"));
        using var a = cache.AddAndAcquire("a", model.Open(scene));
        using var again = cache.AddAndAcquire("a", model.Open(scene));
        Assert.Same(a.Image, again.Image);
        Assert.Equal(1, cache.Count);
        Assert.Equal(a.Image.EstimatedBytes, cache.Bytes);
    }
}
