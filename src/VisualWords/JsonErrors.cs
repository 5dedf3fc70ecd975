using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace VisualWords;

/// <summary>
/// System.Text.Json's errors name .NET types ("could not be converted to System.Int64",
/// "VisualWords.Training.RunConfig"); a user wants the place in the file and what was expected.
/// </summary>
public static partial class JsonErrors
{
    /// <summary>"at $.run.steps (line 4): expected an integer" or the parser's own message, without type names.</summary>
    public static string Describe(JsonException e)
    {
        var where = e.Path is { Length: > 0 } p ? $"at {p}" : "in the document";
        if (e.LineNumber is long line) where += $" (line {line + 1})";
        var m = ConvertedTo().Match(e.Message);
        if (m.Success) return $"{where}: expected {Expected(m.Groups["type"].Value.TrimEnd('.'))}";
        var text = e.Message;
        int cut = text.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut > 0) text = text[..cut];
        text = TypeName().Replace(text, "this value");
        return $"{where}: {text.TrimEnd('.')}";
    }

    static string Expected(string type) => type switch
    {
        var t when t.Contains("Int") => "an integer",
        var t when t.Contains("Double") || t.Contains("Single") || t.Contains("Decimal") => "a number",
        var t when t.Contains("Boolean") => "true or false",
        var t when t.Contains("String") => "a string",
        var t when t.Contains("[]") || t.Contains("List") => "a list",
        var t when t.StartsWith("VisualWords.", StringComparison.Ordinal) && Enum(t) is { } values => values,
        var t when t.StartsWith("VisualWords.", StringComparison.Ordinal) => "an object",
        _ => "another kind of value",
    };

    static string? Enum(string typeName)
    {
        var type = typeof(JsonErrors).Assembly.GetType(typeName);
        return type is { IsEnum: true }
            ? "one of " + string.Join(", ", type.GetFields(BindingFlags.Public | BindingFlags.Static).Select(JsonName))
            : null;
    }

    /// <summary>An enum member's name in our JSON: its [JsonStringEnumMemberName], else snake_case.</summary>
    static string JsonName(FieldInfo f) =>
        f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(f.Name);

    [GeneratedRegex(@"could not be converted to (?<type>[\w.\[\]`]+(?:\[\[.*?\]\])?)")]
    private static partial Regex ConvertedTo();

    [GeneratedRegex(@"'?(System|VisualWords)\.[\w.`\[\], =]+'?")]
    private static partial Regex TypeName();
}
