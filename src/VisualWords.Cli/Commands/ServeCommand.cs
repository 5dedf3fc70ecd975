using System.CommandLine;
using VisualWords.Server;

namespace VisualWords.Cli.Commands;

/// <summary><c>visualwords serve</c>: the HTTP API and the web page (src/VisualWords.Server).</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var defaults = new ServerOptions { ModelFolder = "" };
        var model = new Option<string>("--model")
        {
            Description = "Model folder, as for segment. Default: the shipped models/visualwords-shapes.",
            DefaultValueFactory = _ => SegmentCommand.DefaultModel,
        };
        var port = new Option<int>("--port") { Description = "TCP port (0: any free one).", DefaultValueFactory = _ => defaults.Port };
        var host = new Option<string>("--host")
        {
            Description = "Interface to listen on: localhost (this machine only) or 0.0.0.0 (all; in a container).",
            DefaultValueFactory = _ => defaults.Host,
        };
        var concurrency = new Option<int>("--concurrency") { Description = "Inferences run at once.", DefaultValueFactory = _ => defaults.InferenceConcurrency };
        var queue = new Option<int>("--queue") { Description = "Requests that may wait for inference; more get 429 with Retry-After.", DefaultValueFactory = _ => defaults.QueueCapacity };
        var sessions = new Option<int>("--cache-sessions") { Description = "Image sessions kept (least recently used evicted).", DefaultValueFactory = _ => defaults.CacheSessions };
        var cacheMb = new Option<int>("--cache-mb") { Description = "Estimated MiB the cached sessions may hold.", DefaultValueFactory = _ => (int)(defaults.CacheBytes >> 20) };
        var uploadMb = new Option<int>("--max-upload-mb") { Description = "Largest upload in MiB (413 beyond).", DefaultValueFactory = _ => (int)(defaults.MaxUploadBytes >> 20) };

        var cmd = new Command("serve", "HTTP API (upload, segment, visual words; /healthz, /readyz, /metrics) and a web page at http://HOST:PORT/.");
        foreach (var o in new Option[] { model, port, host, concurrency, queue, sessions, cacheMb, uploadMb }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            GlobalOptions.Apply(r);
            var options = defaults with
            {
                ModelFolder = r.GetValue(model)!,
                Port = r.GetValue(port),
                Host = r.GetValue(host)!,
                InferenceConcurrency = r.GetValue(concurrency),
                QueueCapacity = r.GetValue(queue),
                CacheSessions = r.GetValue(sessions),
                CacheBytes = (long)r.GetValue(cacheMb) << 20,
                MaxUploadBytes = (long)r.GetValue(uploadMb) << 20,
            };
            try { options.Validate(); }
            catch (ArgumentException e) { throw new BadInputException(e.Message); }
            if (!Directory.Exists(options.ModelFolder)) throw new BadInputException($"model folder not found: {options.ModelFolder}");
            ServerHost.Run(options);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
