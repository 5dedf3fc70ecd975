using System.CommandLine;
using VisualWords.Runtime;

namespace VisualWords.Cli;

/// <summary>Options every command accepts (declared on the root, recursive).</summary>
public static class GlobalOptions
{
    public static readonly Option<int?> Threads = new("--threads")
    {
        Description = "Number of CPU threads for libtorch (default: libtorch's choice, usually the core count).",
        Recursive = true,
    };

    public static readonly Option<string> Device = new("--device")
    {
        Description = "cpu or cuda[:N] (cuda needs a build with -p:TorchBackend=cuda).",
        DefaultValueFactory = _ => "cpu",
        Recursive = true,
    };

    /// <summary>Applies --threads and resolves --device; call at the start of a command's action.</summary>
    public static TorchSharp.torch.Device Apply(ParseResult r)
    {
        if (r.GetValue(Threads) is int n) TorchRuntime.SetThreads(n);
        return TorchRuntime.ResolveDevice(r.GetValue(Device) ?? "cpu");
    }
}

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
}

public static class Cli
{
    /// <summary>
    /// Parses and runs; parse errors and <see cref="BadInputException"/> exit 2 with a one-line
    /// message, any other exception exits 1 (stack trace only with VW_DEBUG=1).
    /// </summary>
    public static int Run(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && !args.Any(a => a is "--help" or "-h" or "-?"))
        {
            foreach (var e in parsed.Errors) Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine("Run with --help for usage.");
            return ExitCodes.BadInput;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            var inner = e is AggregateException { InnerExceptions.Count: 1 } ae ? ae.InnerExceptions[0] : e;
            bool bad = inner is BadInputException;
            Console.Error.WriteLine($"error: {inner.Message}");
            if (Environment.GetEnvironmentVariable("VW_DEBUG") == "1") Console.Error.WriteLine(inner);
            return bad ? ExitCodes.BadInput : ExitCodes.Failure;
        }
    }
}
