using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace VisualWords.Server.Inference;

/// <summary>
/// Loads the model in the background once the host starts, so /healthz answers at once and
/// /readyz says when requests can be served (a readiness probe waits for it).
/// </summary>
public sealed class ModelHolder(ServerOptions options, ILogger<ModelHolder> log) : IHostedService, IDisposable
{
    readonly TaskCompletionSource<SegmenterAdapter> _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the model has loaded (or faults with the load error).</summary>
    public Task<SegmenterAdapter> Loaded => _loaded.Task;

    /// <summary>The model, or null while it loads or after it failed to load.</summary>
    public SegmenterAdapter? Model => _loaded.Task.IsCompletedSuccessfully ? _loaded.Task.Result : null;

    /// <summary>Why the model is not available, for /readyz and 503 responses.</summary>
    public string Status => _loaded.Task.Status switch
    {
        TaskStatus.RanToCompletion => "ready",
        TaskStatus.Faulted => $"the model failed to load: {_loaded.Task.Exception!.InnerException!.Message}",
        _ => "the model is loading",
    };

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = Task.Run(Load, CancellationToken.None);
        return Task.CompletedTask;
    }

    void Load()
    {
        try
        {
            var model = SegmenterAdapter.Load(options.ModelFolder);
            log.LogInformation("model {Folder} loaded", options.ModelFolder);
            _loaded.SetResult(model);
        }
        catch (Exception e)
        {
            log.LogError("model {Folder} failed to load: {Message}", options.ModelFolder, e.Message);
            _loaded.SetException(e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => Model?.Dispose();
}
