using System.Text.Json;
using VisualWords.Checkpoints;

namespace VisualWords.Data;

/// <summary>
/// Reads a refs file: <c>refs(NAME).p</c> (the refer API's Python pickle of plain lists and
/// dicts, read by the restricted unpickler, which refuses any class by name) or
/// <c>refs(NAME).json</c> (our datasets: the same list of dicts as JSON). Both become the same
/// plain object graph and are mapped by one reader.
/// </summary>
public static class ReferRefsReader
{
    public static IReadOnlyList<ReferRef> Load(string path)
    {
        if (!File.Exists(path)) throw new BadInputException($"refs file not found: {path}");
        object? plain;
        try
        {
            if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
                plain = PlainJson.ToPlain(doc.RootElement);
            }
            else if (path.EndsWith(".p", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".pkl", StringComparison.OrdinalIgnoreCase))
            {
                using var s = File.OpenRead(path);
                plain = SafePickle.LoadPlain(s);
            }
            else throw new BadInputException($"refs file must be .p (pickle) or .json: {path}");
        }
        catch (JsonException e) { throw new BadInputException($"{path}: not valid JSON ({e.Message})"); }
        catch (InvalidOperationException e) { throw new BadInputException($"{path}: not valid JSON ({e.Message})"); }   // a string that is not UTF-8
        catch (BadInputException e) when (!e.Message.StartsWith(path)) { throw new BadInputException($"{path}: {e.Message}", e); }

        if (plain is not List<object?> list) throw new BadInputException($"{path}: expected a list of refs, got {Describe(plain)}");
        var refs = new List<ReferRef>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            try { refs.Add(ToRef(list[i])); }
            catch (BadInputException e) { throw new BadInputException($"{path}: ref #{i}: {e.Message}", e); }
        }
        return refs;
    }

    static ReferRef ToRef(object? o)
    {
        var d = AsDict(o, "ref");
        var sentences = AsList(Get(d, "sentences"), "sentences").Select(s =>
        {
            var sd = AsDict(s, "sentence");
            var tokens = sd.TryGetValue("tokens", out var t) && t is not null
                ? AsList(t, "tokens").Select(x => AsString(x, "token")).ToList() : new List<string>();
            string sent = AsString(Get(sd, "sent"), "sent");
            string raw = sd.TryGetValue("raw", out var r) && r is not null ? AsString(r, "raw") : sent;
            string? kind = sd.TryGetValue("kind", out var k) && k is not null ? AsString(k, "kind") : null;
            return new ReferSentence(AsLong(Get(sd, "sent_id"), "sent_id"), sent, raw, tokens, kind);
        }).ToList();
        if (sentences.Count == 0) throw new BadInputException("ref has no sentences");
        return new ReferRef(
            AsLong(Get(d, "ref_id"), "ref_id"), AsLong(Get(d, "ann_id"), "ann_id"), AsLong(Get(d, "image_id"), "image_id"),
            AsLong(Get(d, "category_id"), "category_id"), AsString(Get(d, "split"), "split"), sentences);
    }

    static object? Get(IDictionary<object, object?> d, string key) =>
        d.TryGetValue(key, out var v) ? v : throw new BadInputException($"missing key '{key}'");

    static IDictionary<object, object?> AsDict(object? o, string what) =>
        o as IDictionary<object, object?> ?? throw new BadInputException($"{what} must be a dict, got {Describe(o)}");

    static List<object?> AsList(object? o, string what) => o switch
    {
        List<object?> l => l,
        object?[] t => t.ToList(),
        _ => throw new BadInputException($"{what} must be a list, got {Describe(o)}"),
    };

    static long AsLong(object? o, string what) => o switch
    {
        long l => l,
        int i => i,
        _ => throw new BadInputException($"{what} must be an integer, got {Describe(o)}"),
    };

    static string AsString(object? o, string what) => o switch
    {
        string s => s,
        // Python 2 pickles may hold str as bytes; the refer files are ASCII/UTF-8 text.
        byte[] b => System.Text.Encoding.UTF8.GetString(b),
        _ => throw new BadInputException($"{what} must be a string, got {Describe(o)}"),
    };

    static string Describe(object? o) => o?.GetType().Name ?? "None";
}
