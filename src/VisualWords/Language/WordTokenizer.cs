using System.Text.Json;
using System.Text.RegularExpressions;

namespace VisualWords.Language;

/// <summary>
/// Word-level tokenizer for our synthetic world: lower-cased words and single punctuation marks,
/// a fixed vocabulary (ids 0–3 are &lt;pad&gt; &lt;s&gt; &lt;/s&gt; &lt;unk&gt;), unknown words map to &lt;unk&gt;.
/// Saved as a JSON list of words.
/// </summary>
public sealed partial class WordTokenizer : TextTokenizer
{
    public static readonly string[] Reserved = ["<pad>", "<s>", "</s>", "<unk>"];
    readonly List<string> _words;
    readonly Dictionary<string, int> _ids;

    public WordTokenizer(IEnumerable<string> words)
    {
        _words = [.. Reserved];
        foreach (var w in words.Select(w => w.ToLowerInvariant()).Distinct())
        {
            if (Reserved.Contains(w)) continue;
            if (w.Length == 0 || w.Any(char.IsWhiteSpace)) throw new BadInputException($"word-tokenizer entry '{w}' must be one non-empty word");
            _words.Add(w);
        }
        _ids = _words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);
    }

    /// <summary>Vocabulary of every word and punctuation mark in <paramref name="corpus"/> (sorted, so stable).</summary>
    public static WordTokenizer FromCorpus(IEnumerable<string> corpus) =>
        new(corpus.SelectMany(Words).Distinct().Order(StringComparer.Ordinal));

    public static WordTokenizer Load(string path)
    {
        if (!File.Exists(path)) throw new BadInputException($"word vocabulary not found: {path}");
        try { return new WordTokenizer(JsonSerializer.Deserialize<List<string>>(File.ReadAllText(path)) ?? []); }
        catch (JsonException e) { throw new BadInputException($"{path}: word vocabulary must be a JSON list of strings ({e.Message})", e); }
    }

    public void Save(string path)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(_words.Skip(Reserved.Length)));
        File.Move(tmp, path, overwrite: true);
    }

    public override int BaseVocabSize => _words.Count;
    public override int PadId => 0;
    public override int BosId => 1;
    public override int EosId => 2;
    public int UnkId => 3;

    [GeneratedRegex(@"[\p{L}\p{N}]+(?:'[\p{L}]+)?|[^\s\p{L}\p{N}]")]
    private static partial Regex WordPattern();

    static IEnumerable<string> Words(string text) => WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value);

    public override IReadOnlyList<string> UnknownWords(string text) =>
        Words(text).Where(w => !_ids.ContainsKey(w)).Distinct().ToList();

    protected override IReadOnlyList<int> EncodePlain(string text) =>
        Words(text).Select(w => _ids.TryGetValue(w, out var id) ? id : UnkId).ToList();

    protected override string DecodePlain(IReadOnlyList<int> ids)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var id in ids)
        {
            var w = _words[id];
            bool punct = w.Length == 1 && !char.IsLetterOrDigit(w[0]);
            if (sb.Length > 0 && !punct) sb.Append(' ');
            sb.Append(w);
        }
        return sb.ToString();
    }
}
