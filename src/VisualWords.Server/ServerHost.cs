using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using VisualWords.Server.Endpoints;
using VisualWords.Server.Http;
using VisualWords.Server.Inference;
using VisualWords.Server.Telemetry;

namespace VisualWords.Server;

/// <summary>Builds and runs the web server: the API, health and metrics endpoints, and the page.</summary>
public static class ServerHost
{
    /// <summary>
    /// The configured application, not started. <paramref name="configure"/> runs last on the
    /// builder (tests swap in the in-memory server there).
    /// </summary>
    public static WebApplication Create(ServerOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        options.Validate();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [],
            EnvironmentName = Environments.Production, // never the developer exception page
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });
        // Kestrel refuses dynamic ports on "localhost"; 127.0.0.1 is the same loopback.
        var host = options.Port == 0 && options.Host == "localhost" ? "127.0.0.1" : options.Host;
        builder.WebHost.UseUrls($"http://{host}:{options.Port.ToString(CultureInfo.InvariantCulture)}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxUploadBytes + 64 * 1024);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        AddServices(builder.Services, options);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use((context, next) =>
        {
            // Every number the server formats (messages included) reads the same everywhere.
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
            return next(context);
        });
        app.UseDefaultFiles();
        app.UseStaticFiles();
        HealthEndpoints.Map(app);
        ApiEndpoints.Map(app);
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    /// <summary>Runs until the process is stopped (Ctrl+C, SIGTERM).</summary>
    public static void Run(ServerOptions options) => Create(options).Run();

    static void AddServices(IServiceCollection services, ServerOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<ModelHolder>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelHolder>());
        services.AddSingleton(_ => new SessionCache(options.CacheSessions, options.CacheBytes)); // factory: disposed with the host
        services.AddSingleton(new InferenceQueue(options.InferenceConcurrency, options.QueueCapacity));
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton<SegmentationService>();
        services.ConfigureHttpJsonOptions(j => j.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(ServerMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter());
    }
}
