using System.CommandLine;
using System.Globalization;
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
    /// <summary>The line every command's --help ends with.</summary>
    public const string DebugEpilogue =
        "Exit codes: 0 ok, 1 runtime failure, 2 bad input. Set VW_DEBUG=1 to print the stack trace of an error; NO_COLOR=1 turns colours off.";

    /// <summary>
    /// Parses and runs under the invariant culture (numbers are "0.5" whatever LANG says); parse
    /// errors and <see cref="BadInputException"/> exit 2 with a one-line message, any other exception
    /// exits 1 (stack trace only with VW_DEBUG=1). Results go to stdout, progress and errors to stderr.
    /// </summary>
    public static int Run(RootCommand root, string[] args)
    {
        var saved = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture, CultureInfo.DefaultThreadCurrentCulture, CultureInfo.DefaultThreadCurrentUICulture);
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
        Term.Err = Term.Create(Console.Error);
        try
        {
            return ParseAndInvoke(root, args);
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture, CultureInfo.DefaultThreadCurrentCulture, CultureInfo.DefaultThreadCurrentUICulture) = saved;
        }
    }

    static int ParseAndInvoke(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && !args.Any(a => a is "--help" or "-h" or "-?"))
        {
            Console.Error.WriteLine($"error: {ParseErrors.Describe(parsed)}");
            Console.Error.WriteLine($"Run '{ParseErrors.CommandPath(parsed)} --help' for usage.");
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
            Console.Error.WriteLine($"error: {OneLine(inner.Message)}");
            if (Environment.GetEnvironmentVariable("VW_DEBUG") == "1") Console.Error.WriteLine(inner);
            return bad ? ExitCodes.BadInput : ExitCodes.Failure;
        }
    }

    static string OneLine(string message) => string.Join(" ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
