using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using VisualWords.Server;
using VisualWords.Server.Inference;

namespace VisualWords.Tests.Server;

/// <summary>
/// The server on ASP.NET Core's in-memory TestServer (no socket), with the shipped model unless
/// told otherwise. <see cref="Start"/> waits until the model has loaded (or failed to).
/// </summary>
public sealed class InMemoryServer : IAsyncDisposable
{
    public WebApplication App { get; }
    public HttpClient Client { get; }

    InMemoryServer(WebApplication app)
    {
        App = app;
        Client = app.GetTestClient();
    }

    public static ServerOptions Options() => new() { ModelFolder = Fixtures.ShippedModel() };

    public static async Task<InMemoryServer> Start(ServerOptions? options = null, bool waitForModel = true)
    {
        var app = ServerHost.Create(options ?? Options(), b => b.WebHost.UseTestServer());
        await app.StartAsync();
        if (waitForModel)
        {
            try { await app.Services.GetRequiredService<ModelHolder>().Loaded; }
            catch (Exception) { /* the test asserts what the server says about it */ }
        }
        return new InMemoryServer(app);
    }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public static MultipartFormDataContent ImageForm(byte[] bytes, string contentType = "image/png", string field = "image", string fileName = "scene.png")
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return new MultipartFormDataContent { { file, field, fileName } };
    }

    public static byte[] Scene() => File.ReadAllBytes(Fixtures.Path("shapes", "scene.png"));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
