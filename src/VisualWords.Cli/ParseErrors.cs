using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace VisualWords.Cli;

/// <summary>
/// Turns System.CommandLine's parse errors into one line a user can act on: the first unknown word
/// with the nearest option or command ("did you mean"), a value that is not a number named by its
/// option (never a .NET type name), or all missing required options together.
/// </summary>
public static partial class ParseErrors
{
    public static string Describe(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        if (parsed.UnmatchedTokens.Count > 0) return Unknown(parsed.UnmatchedTokens[0], command, parsed);
        foreach (var e in parsed.Errors)
            if (ConversionError().Match(e.Message) is { Success: true } m)
                return $"{m.Groups["option"].Value}: '{m.Groups["value"].Value}' is not {Kind(m.Groups["type"].Value)}";
        var missing = parsed.Errors.Select(e => RequiredOption().Match(e.Message)).Where(m => m.Success).Select(m => m.Groups["option"].Value).ToList();
        if (missing.Count > 0) return $"'{CommandPath(parsed)}' needs {string.Join(", ", missing)}";
        if (parsed.Errors.Any(e => e.Message.Contains("Required command", StringComparison.Ordinal)))
            return $"'{CommandPath(parsed)}' needs a command: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}";
        return parsed.Errors[0].Message;
    }

    /// <summary>"visualwords segment": the command the user was typing, for the usage hint.</summary>
    public static string CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (SymbolResult? r = parsed.CommandResult; r is CommandResult c; r = c.Parent) names.Add(c.Command.Name);
        names.Reverse();
        names[0] = "visualwords";
        return string.Join(' ', names);
    }

    static string Unknown(string token, Command command, ParseResult parsed)
    {
        bool option = token.StartsWith('-');
        var candidates = option
            ? command.Options.Concat(GlobalOptionsOf(parsed)).SelectMany(o => o.Aliases.Prepend(o.Name))
            : command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);
        var what = option ? "option" : command.Subcommands.Count > 0 ? "command" : "argument";
        var where = CommandPath(parsed);
        var near = Nearest(token, candidates);
        return $"unknown {what} '{token}' for '{where}'" + (near is null ? "" : $" (did you mean '{near}'?)");
    }

    static IEnumerable<Option> GlobalOptionsOf(ParseResult parsed)
    {
        for (SymbolResult? r = parsed.CommandResult.Parent; r is CommandResult c; r = c.Parent)
            foreach (var o in c.Command.Options.Where(o => o.Recursive)) yield return o;
    }

    /// <summary>The candidate within edit distance max(2, a third of its length), or one the token starts.</summary>
    public static string? Nearest(string token, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in candidates.Distinct())
        {
            int d = EditDistance(token, c);
            if (d < bestDistance) (best, bestDistance) = (c, d);
        }
        if (best is null) return null;
        return bestDistance <= Math.Max(2, best.Length / 3) || (token.Length > 3 && best.StartsWith(token, StringComparison.Ordinal)) ? best : null;
    }

    public static int EditDistance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    static string Kind(string dotnetType) => dotnetType switch
    {
        var t when t.Contains("Int32") || t.Contains("Int64") || t.Contains("Int16") => "an integer",
        var t when t.Contains("Double") || t.Contains("Single") || t.Contains("Decimal") => "a number (like 0.5)",
        var t when t.Contains("Boolean") => "true or false",
        _ => "a valid value",
    };

    [GeneratedRegex(@"'(?<value>.*)' for option '(?<option>[^']+)' as expected type '(?<type>[^']+)'")]
    private static partial Regex ConversionError();

    [GeneratedRegex(@"^Option '(?<option>[^']+)' is required")]
    private static partial Regex RequiredOption();
}
