using VisualWords.Cli;

namespace VisualWords.Tests.Cli;

/// <summary>Console redirection is process-wide, so CLI tests never run in parallel with each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliCollection
{
    public const string Name = "cli";
}

public static class CliRunner
{
    static readonly object Gate = new();

    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        lock (Gate)
        {
            var (o, e) = (Console.Out, Console.Error);
            var (so, se) = (new StringWriter(), new StringWriter());
            Console.SetOut(so);
            Console.SetError(se);
            // The same console set-up as the real process (Term), on the captured writers.
            Spectre.Console.AnsiConsole.Console = Term.Create(so);
            try
            {
                int code = VisualWords.Cli.Cli.Run(CliApp.Build(), args);
                return (code, so.ToString(), se.ToString());
            }
            finally
            {
                Console.SetOut(o);
                Console.SetError(e);
            }
        }
    }
}
