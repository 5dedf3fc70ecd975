using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using VisualWords.Data;
using VisualWords.Imaging;
using VisualWords.Segmenter;
using VisualWords.Superpixels;
using VisualWords.Tests.Cli;

namespace VisualWords.Tests.Server;

/// <summary>The API's happy paths on the in-memory host with the shipped model.</summary>
[Collection(CliCollection.Name)] // runs the segment command, which redirects the console
public class ServerApiTests
{
    [Fact]
    public async Task Segment_answers_with_the_mask_the_segment_command_writes()
    {
        using var dir = Fixtures.TempDir();
        var (code, _, err) = CliRunner.Run("segment", "--threads", "1", "--model", Fixtures.ShippedModel(),
            "--image", Fixtures.Path("shapes", "scene.png"), "-e", "the red hexagon", "--out", dir.File("mask.png"));
        Assert.True(code == 0, err);
        var (cliMask, width, height) = ImageIO.LoadMaskPng(dir.File("mask.png"));

        await using var server = await InMemoryServer.Start();
        using var upload = await server.Client.PostAsync("/api/images", InMemoryServer.ImageForm(InMemoryServer.Scene()));
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        var id = (await Json(upload)).GetProperty("id").GetString();

        using var response = await server.Client.PostAsJsonAsync("/api/segment", new { image_id = id, expressions = new[] { "the red hexagon" } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json(response);
        var image = body.GetProperty("image");
        Assert.Equal((width, height), (image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32()));
        Assert.Equal(256, image.GetProperty("tokens").GetProperty("patches").GetInt32()); // 128 px / 8 px patches, squared
        Assert.InRange(image.GetProperty("tokens").GetProperty("visual_words").GetInt32(), 1, 32);
        var result = Assert.Single(body.GetProperty("results").EnumerateArray());
        Assert.Contains("[SEG]", result.GetProperty("answer").GetString());
        Assert.Equal(1, result.GetProperty("mask_count").GetInt32());
        // The grounded words are the library's for the first mask (none where the model does not ground).
        using (var segmenter = ReferringSegmenter.Load(Fixtures.ShippedModel()))
        using (var session = segmenter.Open(ImageIO.Load(Fixtures.Path("shapes", "scene.png"))))
        {
            // Regions exactly; scores to float noise (two processes' thread pools may sum in another order).
            var expected = session.Segment("the red hexagon").Words[0];
            var actual = result.GetProperty("words").EnumerateArray().ToList();
            Assert.Equal(expected.Select(w => w.Region), actual.Select(w => w.GetProperty("region").GetInt32()));
            foreach (var (e, a) in expected.Zip(actual)) Assert.Equal(e.Score, a.GetProperty("score").GetDouble(), 1e-4);
        }

        var rle = result.GetProperty("rle");
        var fromRle = RleEncoding.Decode(RleString.Decompress(rle.GetProperty("counts").GetString()!, height, width));
        Assert.Equal(cliMask, fromRle);
        Assert.Equal(cliMask, DecodeDataUrlMask(result.GetProperty("mask_png").GetString()!));
        Assert.Equal(cliMask.LongCount(b => b), result.GetProperty("area").GetInt64());
        Assert.True(result.GetProperty("timings_ms").GetProperty("llm").GetDouble() > 0);
    }

    [Fact]
    public async Task A_second_expression_on_the_same_image_is_a_cache_hit()
    {
        await using var server = await InMemoryServer.Start();
        using var first = await server.Client.PostAsync("/api/segment", Form(InMemoryServer.Scene(), "the ring"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var firstImage = (await Json(first)).GetProperty("image");
        Assert.False(firstImage.GetProperty("cache_hit").GetBoolean());
        var id = firstImage.GetProperty("id").GetString();

        using var second = await server.Client.PostAsJsonAsync("/api/segment", new { image_id = id, expression = "the blue hexagon" });
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var secondImage = (await Json(second)).GetProperty("image");
        Assert.True(secondImage.GetProperty("cache_hit").GetBoolean());
        // The per-image work was paid once: the hit reports the same open timings.
        Assert.Equal(firstImage.GetProperty("open_ms").ToString(), secondImage.GetProperty("open_ms").ToString());

        using var again = await server.Client.PostAsync("/api/images", InMemoryServer.ImageForm(InMemoryServer.Scene()));
        Assert.True((await Json(again)).GetProperty("cache_hit").GetBoolean());

        var metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Matches(@"vw_session_cache_hits_total(\{[^}]*\})? 2\b", metrics);
        Assert.Matches(@"vw_session_cache_misses_total(\{[^}]*\})? 1\b", metrics);
    }

    [Fact]
    public async Task Several_expressions_in_one_multipart_request_share_one_image()
    {
        await using var server = await InMemoryServer.Start();
        var form = Form(InMemoryServer.Scene(), "the red hexagon");
        form.Add(new StringContent("the ring"), "expression");
        using var response = await server.Client.PostAsync("/api/segment", form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await Json(response)).GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["the red hexagon", "the ring"], results.Select(r => r.GetProperty("expression").GetString()));
    }

    [Fact]
    public async Task Words_overlay_is_the_cli_words_overlay_with_the_answers_words_outlined()
    {
        await using var server = await InMemoryServer.Start();
        using var upload = await server.Client.PostAsync("/api/images", InMemoryServer.ImageForm(InMemoryServer.Scene()));
        var id = (await Json(upload)).GetProperty("id").GetString();
        using var answer = await server.Client.PostAsJsonAsync("/api/segment", new { image_id = id, expression = "the red hexagon" });
        var grounded = (await Json(answer)).GetProperty("results")[0].GetProperty("words").EnumerateArray()
            .ToDictionary(w => w.GetProperty("region").GetInt32(), w => w.GetProperty("score").GetDouble());
        Assert.NotEmpty(grounded);   // the shipped model grounds its answers in visual words
        var query = string.Join(',', grounded.Select(w => $"{w.Key}:{w.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}"));

        using var plain = await server.Client.GetAsync($"/api/images/{id}/words");
        using var chosen = await server.Client.GetAsync($"/api/images/{id}/words?chosen={Uri.EscapeDataString(query)}");
        foreach (var r in new[] { plain, chosen })
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("image/png", r.Content.Headers.ContentType?.MediaType);
        }
        var plainPng = ImageIO.Decode(await plain.Content.ReadAsByteArrayAsync());
        var chosenPng = ImageIO.Decode(await chosen.Content.ReadAsByteArrayAsync());

        // Exactly WordsOverlay.Draw, the drawing of `segment --words-overlay`: the 128-px scene at 4x, a legend beside it.
        using var segmenter = ReferringSegmenter.Load(Fixtures.ShippedModel());
        using var session = segmenter.Open(ImageIO.Load(Fixtures.Path("shapes", "scene.png")));
        var expectedPlain = WordsOverlay.Draw(session.Image, session.Partition);
        var expectedChosen = WordsOverlay.Draw(session.Image, session.Partition, grounded);
        Assert.True(plainPng.Width > 512 && plainPng.Height >= 512, $"{plainPng.Width}x{plainPng.Height}");
        Assert.Equal((expectedPlain.Width, expectedPlain.Height), (plainPng.Width, plainPng.Height));
        Assert.Equal(expectedPlain.Pixels, plainPng.Pixels);
        Assert.Equal(expectedChosen.Pixels, chosenPng.Pixels);
        Assert.NotEqual(plainPng.Pixels, chosenPng.Pixels);
    }

    [Fact]
    public async Task Health_readiness_metrics_and_the_page_are_served()
    {
        await using var server = await InMemoryServer.Start();
        Assert.Equal("ok", await server.Client.GetStringAsync("/healthz"));
        Assert.Equal("ready", await server.Client.GetStringAsync("/readyz"));
        using var _ = await server.Client.PostAsync("/api/images", InMemoryServer.ImageForm(InMemoryServer.Scene()));
        var metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Contains("http_server_request_duration_seconds_bucket", metrics);
        Assert.Contains("http_response_status_code=\"200\"", metrics);
        Assert.Contains("vw_inference_queue_length", metrics);
        Assert.Contains("vw_inference_stage_duration_seconds_bucket", metrics);

        var page = await server.Client.GetStringAsync("/");
        Assert.Contains("<title>VisualWords</title>", page);
        Assert.Contains("api/segment", await server.Client.GetStringAsync("/app.js"));
        using var example = await server.Client.GetAsync("/examples/scene.png");
        Assert.Equal(InMemoryServer.Scene(), await example.Content.ReadAsByteArrayAsync());
    }

    static MultipartFormDataContent Form(byte[] image, string expression)
    {
        var form = InMemoryServer.ImageForm(image);
        form.Add(new StringContent(expression), "expression");
        return form;
    }

    static async Task<JsonElement> Json(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;

    static bool[] DecodeDataUrlMask(string dataUrl)
    {
        const string prefix = "data:image/png;base64,";
        Assert.StartsWith(prefix, dataUrl);
        var img = ImageIO.Decode(Convert.FromBase64String(dataUrl[prefix.Length..]));
        return Enumerable.Range(0, img.Width * img.Height).Select(i => img.Pixels[i * 3] > 127).ToArray();
    }
}
