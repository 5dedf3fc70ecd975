using Spectre.Console;

namespace VisualWords.Cli;

/// <summary>
/// The two consoles of the CLI: results on stdout (<see cref="AnsiConsole.Console"/>), progress and
/// status on stderr (<see cref="Err"/>), so <c>visualwords ... | jq</c> sees results only. Output that
/// is not a terminal is never wrapped at 80 columns, and NO_COLOR turns colours off.
/// </summary>
public static class Term
{
    /// <summary>Width of a console that is not a terminal: wide enough that no line is wrapped.</summary>
    public const int PipeWidth = 4096;

    /// <summary>Progress bars, spinners and status lines (stderr).</summary>
    public static IAnsiConsole Err { get; set; } = Create(Console.Error);

    public static bool NoColor => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));

    public static IAnsiConsole Create(TextWriter writer)
    {
        var output = new AnsiConsoleOutput(writer);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = output,
            Ansi = NoColor ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = NoColor ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        if (!output.IsTerminal) console.Profile.Width = PipeWidth;
        return console;
    }

    /// <summary>Where the human-readable summary goes: stdout, or stderr when a JSON output took stdout ("-").</summary>
    public static IAnsiConsole Results(OutputFiles outputs) => outputs.UsesStdout ? Err : AnsiConsole.Console;

    /// <summary>
    /// How a library run reaches the user here: each stage under a spinner on stderr, notes grey, warnings
    /// as plain lines (read after <see cref="Err"/> is set, so the tests' capturing console gets them).
    /// </summary>
    public static RunFeedback Feedback => new(
        Stage: (status, work) => Err.Status().Start(Markup.Escape(status), _ => work()),
        Note: note => Err.MarkupLine($"[grey]{Markup.Escape(note)}[/]"),
        Warning: warning => Err.WriteLine(warning));

    /// <summary>Sets up stdout for a real process (the tests install their own capturing consoles).</summary>
    public static void UseProcessConsoles()
    {
        AnsiConsole.Console = Create(Console.Out);
        Err = Create(Console.Error);
    }
}
