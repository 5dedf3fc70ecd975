using System.Text.Json;

namespace VisualWords.Data;

/// <summary>
/// JSON to the plain object graph the restricted unpickler produces (dict → Dictionary, list →
/// List, integer → long, other number → double, string, bool, null), so pickled and JSON data
/// share one reader.
/// </summary>
public static class PlainJson
{
    public static object? ToPlain(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().Aggregate(new Dictionary<object, object?>(), (d, p) => { d[p.Name] = ToPlain(p.Value); return d; }),
        JsonValueKind.Array => e.EnumerateArray().Select(ToPlain).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out var l) ? (object)l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
