using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using VisualWords.Imaging;
using VisualWords.Server;
using VisualWords.Server.Inference;

namespace VisualWords.Tests.Server;

/// <summary>The page in a real browser (Chromium via Playwright) against the server on a loopback socket.</summary>
[Collection(ServerCollection.Name)]
public class ServerBrowserTests
{
    [ChromiumFact]
    public async Task The_page_uploads_a_scene_and_shows_the_mask_of_the_named_object()
    {
        await using var app = ServerHost.Create(InMemoryServer.Options() with { Port = 0 });
        await app.StartAsync();
        await app.Services.GetRequiredService<ModelHolder>().Loaded;
        var url = app.Urls.First();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumFactAttribute.ExecutablePath,
            Headless = true,
            Args = ["--no-sandbox"], // the tests run as root
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1180, Height = 700 } });
        page.SetDefaultTimeout(120_000); // opening an image can take seconds on a busy 2-core machine
        await page.GotoAsync(url);
        await page.Locator("#file").SetInputFilesAsync(Fixtures.Path("shapes", "scene.png"));
        await page.WaitForSelectorAsync("body[data-state=ready]");
        Assert.Contains("model: ready", await page.InnerTextAsync("#model-status"));

        foreach (var expression in new[] { "the ring", "the red hexagon" })
        {
            await page.FillAsync("#expression", expression);
            await page.PressAsync("#expression", "Enter");
            await page.WaitForSelectorAsync($"#history li:nth-child({(expression == "the ring" ? 1 : 2)})");
        }
        await page.WaitForSelectorAsync("body[data-state=done]");
        await page.WaitForSelectorAsync("#overlay[data-mask-shown=true]");
        var shown = await page.EvaluateAsync<string>("window.visualWords.last.mask_png");
        var imageId = await page.EvaluateAsync<string>("window.visualWords.imageId");

        // The page shows exactly the mask the API gives for the same image and expression ...
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        using var api = await http.PostAsJsonAsync("/api/segment", new { image_id = imageId, expression = "the red hexagon" });
        var apiMask = JsonDocument.Parse(await api.Content.ReadAsStringAsync()).RootElement.GetProperty("results")[0].GetProperty("mask_png").GetString();
        Assert.Equal(apiMask, shown);

        // ... that mask covers the named object (the red hexagon's pixels, found by colour) ...
        var mask = MaskFromDataUrl(shown);
        long area = mask.LongCount(m => m);
        Assert.True(area > 0, "the model returned an empty mask");
        var scene = ImageIO.Load(Fixtures.Path("shapes", "scene.png"));
        var red = Enumerable.Range(0, scene.Width * scene.Height)
            .Select(p => scene.Pixels[3 * p] > 170 && scene.Pixels[3 * p + 1] < 90 && scene.Pixels[3 * p + 2] < 90).ToArray();
        long inter = red.Zip(mask).LongCount(t => t.First && t.Second), union = red.Zip(mask).LongCount(t => t.First || t.Second);
        Assert.True(inter >= 0.5 * union, $"the mask for 'the red hexagon' has IoU {(double)inter / union:F2} with the hexagon");

        // ... and the page paints it: every mask pixel (at the display scale) is tinted or outlined,
        // and only the outer contour line lies outside it.
        var canvas = await page.EvaluateAsync<long[]>(@"() => {
            const c = document.getElementById('overlay');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let painted = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted++;
            return [c.width, c.height, painted];
        }");
        long scale = canvas[0] / 128;
        Assert.Equal(new long[] { 128 * scale, 128 * scale }, canvas[..2]);
        Assert.InRange(canvas[2], area * scale * scale, 2 * area * scale * scale);

        await page.CheckAsync("#words-toggle");
        // The CLI's words overlay (the 128-px scene at 4x, a legend beside it), the shown answer's words outlined.
        await page.WaitForFunctionAsync("(() => { const w = document.getElementById('words'); return !w.hidden && w.complete && w.naturalWidth > 512; })()");
        var wordsSrc = await page.GetAttributeAsync("#words", "src");
        var grounded = await page.EvaluateAsync<int>("window.visualWords.last.words.length");
        Assert.Equal(grounded > 0, wordsSrc!.Contains("?chosen="));
        await page.UncheckAsync("#words-toggle");
        await page.ScreenshotAsync(new() { Path = ScreenshotPath() });
        await app.StopAsync();
    }

    /// <summary>
    /// docs/serve.png (the README's picture) when it is missing or VW_UPDATE_SCREENSHOT=1; else
    /// next to the test binaries, so a test run leaves the work tree clean.
    /// </summary>
    static string ScreenshotPath()
    {
        var docs = Path.Combine(Fixtures.RepoRoot(), "docs", "serve.png");
        bool update = Environment.GetEnvironmentVariable("VW_UPDATE_SCREENSHOT") == "1" || !File.Exists(docs);
        return update ? docs : Path.Combine(AppContext.BaseDirectory, "serve.png");
    }

    static bool[] MaskFromDataUrl(string dataUrl)
    {
        var img = ImageIO.Decode(Convert.FromBase64String(dataUrl[(dataUrl.IndexOf(',') + 1)..]));
        return Enumerable.Range(0, img.Width * img.Height).Select(i => img.Pixels[i * 3] > 127).ToArray();
    }
}
