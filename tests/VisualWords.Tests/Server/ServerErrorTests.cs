using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using VisualWords.Server.Inference;

namespace VisualWords.Tests.Server;

/// <summary>Every refusal is an RFC 7807 problem with the right status and a detail a person can act on.</summary>
[Collection(ServerCollection.Name)]
public class ServerErrorTests
{
    [Fact]
    public async Task A_file_that_is_no_image_is_415()
    {
        await using var server = await InMemoryServer.Start();
        using var r = await server.Client.PostAsync("/api/images", InMemoryServer.ImageForm(Encoding.UTF8.GetBytes("this is not a picture"), "image/png"));
        await AssertProblem(r, 415, "not a supported image");
    }

    [Fact]
    public async Task A_truncated_png_is_400()
    {
        await using var server = await InMemoryServer.Start();
        var scene = InMemoryServer.Scene();
        using var r = await server.Client.PostAsync("/api/images", InMemoryServer.ImageForm(scene[..(scene.Length / 3)]));
        await AssertProblem(r, 400, "truncated");
    }

    [Fact]
    public async Task An_upload_over_the_size_limit_is_413()
    {
        await using var server = await InMemoryServer.Start(InMemoryServer.Options() with { MaxUploadBytes = 1000 });
        using var r = await server.Client.PostAsync("/api/images", InMemoryServer.ImageForm(InMemoryServer.Scene()));
        await AssertProblem(r, 413, "larger than the limit");
    }

    [Fact]
    public async Task An_image_over_the_pixel_limit_is_413()
    {
        await using var server = await InMemoryServer.Start(InMemoryServer.Options() with { MaxPixels = 10_000 });
        using var r = await server.Client.PostAsync("/api/images", InMemoryServer.ImageForm(InMemoryServer.Scene()));
        await AssertProblem(r, 413, "128x128");
    }

    [Theory]
    [InlineData("", "expression 1 is empty")]
    [InlineData("   ", "expression 1 is empty")]
    [InlineData("long", "at most 200")]
    public async Task An_empty_or_overlong_expression_is_400(string expression, string detail)
    {
        if (expression == "long") expression = new string('x', 201);
        await using var server = await InMemoryServer.Start();
        var form = InMemoryServer.ImageForm(InMemoryServer.Scene());
        form.Add(new StringContent(expression), "expression");
        using var r = await server.Client.PostAsync("/api/segment", form);
        await AssertProblem(r, 400, detail);
    }

    [Fact]
    public async Task Missing_expressions_too_many_expressions_and_bad_json_are_400()
    {
        await using var server = await InMemoryServer.Start();
        var id = new string('a', 64);
        using var none = await server.Client.PostAsJsonAsync("/api/segment", new { image_id = id });
        await AssertProblem(none, 400, "at least one expression");
        using var many = await server.Client.PostAsJsonAsync("/api/segment", new { image_id = id, expressions = Enumerable.Repeat("the ring", 9) });
        await AssertProblem(many, 400, "at most 8");
        using var broken = await server.Client.PostAsync("/api/segment", new StringContent("{\"image_id\": ", Encoding.UTF8, "application/json"));
        await AssertProblem(broken, 400, "not valid JSON");
    }

    [Fact]
    public async Task Unknown_or_malformed_image_ids_are_404()
    {
        await using var server = await InMemoryServer.Start();
        using var unknown = await server.Client.PostAsJsonAsync("/api/segment", new { image_id = new string('0', 64), expressions = new[] { "the ring" } });
        await AssertProblem(unknown, 404, "upload it again");
        using var malformed = await server.Client.PostAsJsonAsync("/api/segment", new { image_id = "../../etc/passwd", expressions = new[] { "the ring" } });
        await AssertProblem(malformed, 404, "not an image id");
        using var words = await server.Client.GetAsync($"/api/images/{new string('f', 64)}/words");
        await AssertProblem(words, 404, "upload it again");
    }

    [Fact]
    public async Task Malformed_chosen_words_are_400()
    {
        await using var server = await InMemoryServer.Start();
        foreach (var chosen in new[] { "3", "three:1", "3:high", "3:1:2", "-1:0.5", "3:NaN" })
        {
            using var r = await server.Client.GetAsync($"/api/images/{new string('f', 64)}/words?chosen={Uri.EscapeDataString(chosen)}");
            await AssertProblem(r, 400, "is not REGION:SCORE");
        }
    }

    [Fact]
    public async Task Wrong_content_types_are_415()
    {
        await using var server = await InMemoryServer.Start();
        using var json = await server.Client.PostAsJsonAsync("/api/images", new { image = "scene.png" });
        await AssertProblem(json, 415, "multipart/form-data");
        using var text = await server.Client.PostAsync("/api/segment", new StringContent("the ring"));
        await AssertProblem(text, 415, "application/json");
    }

    [Fact]
    public async Task A_full_queue_is_429_with_retry_after()
    {
        await using var server = await InMemoryServer.Start(InMemoryServer.Options() with { InferenceConcurrency = 1, QueueCapacity = 0 });
        var queue = server.Service<InferenceQueue>();
        using var release = new ManualResetEventSlim();
        var holder = queue.TryRun(() => release.Wait(TimeSpan.FromSeconds(30)), CancellationToken.None);
        Assert.Equal(1, queue.Admitted);

        using var refused = await server.Client.PostAsync("/api/images", InMemoryServer.ImageForm(InMemoryServer.Scene()));
        await AssertProblem(refused, 429, "queue is full");
        var retry = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retry);
        Assert.True(retry >= TimeSpan.FromSeconds(1), $"Retry-After {retry}");
        Assert.Contains("vw_inference_rejected_total", await server.Client.GetStringAsync("/metrics"));

        release.Set();
        Assert.NotNull(await holder);
        using var accepted = await server.Client.PostAsync("/api/images", InMemoryServer.ImageForm(InMemoryServer.Scene()));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task A_model_that_does_not_load_is_503_while_liveness_stays_200()
    {
        using var dir = Fixtures.TempDir();
        await using var server = await InMemoryServer.Start(InMemoryServer.Options() with { ModelFolder = dir.Path });
        Assert.Equal("ok", await server.Client.GetStringAsync("/healthz"));
        using var ready = await server.Client.GetAsync("/readyz");
        await AssertProblem(ready, 503, "failed to load");
        using var r = await server.Client.PostAsync("/api/images", InMemoryServer.ImageForm(InMemoryServer.Scene()));
        await AssertProblem(r, 503, "failed to load");
        Assert.NotNull(r.Headers.RetryAfter);
    }

    [Theory]
    [InlineData(1, long.MaxValue)]
    [InlineData(64, 1L)]
    public async Task The_session_cache_evicts_the_least_recently_used_image(int sessions, long bytes)
    {
        await using var server = await InMemoryServer.Start(InMemoryServer.Options() with { CacheSessions = sessions, CacheBytes = bytes });
        var first = await Upload(server, InMemoryServer.Scene());
        var second = await Upload(server, File.ReadAllBytes(Fixtures.Path("images", "gray.png")));
        using var evicted = await server.Client.PostAsJsonAsync("/api/segment", new { image_id = first, expression = "the ring" });
        await AssertProblem(evicted, 404, "no longer");
        using var kept = await server.Client.PostAsJsonAsync("/api/segment", new { image_id = second, expression = "the ring" });
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        Assert.Equal(1, server.Service<SessionCache>().Count);
    }

    [Fact]
    public async Task Paths_outside_the_page_folder_are_404()
    {
        await using var server = await InMemoryServer.Start();
        using var r = await server.Client.GetAsync("/%2e%2e/%2e%2e/models/visualwords-shapes/visualwords.json");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        using var encoded = await server.Client.GetAsync("/..%2f..%2fVisualWords.slnx");
        Assert.Equal(HttpStatusCode.NotFound, encoded.StatusCode);
    }

    static async Task<string> Upload(InMemoryServer server, byte[] bytes)
    {
        using var r = await server.Client.PostAsync("/api/images", InMemoryServer.ImageForm(bytes));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Status, problem+json media type, RFC 7807 members, the expected detail, and no stack trace.</summary>
    static async Task AssertProblem(HttpResponseMessage r, int status, string detailContains)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True((int)r.StatusCode == status, $"expected {status}, got {(int)r.StatusCode}: {text}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var p = JsonDocument.Parse(text).RootElement;
        Assert.Equal(status, p.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(p.GetProperty("title").GetString()));
        Assert.Contains(detailContains, p.GetProperty("detail").GetString());
        Assert.DoesNotContain("   at ", text);
    }
}
