using System.Text.Json;
using VisualWords.Language;
using Xunit;

namespace VisualWords.Tests.Language;

/// <summary>Ids against the reference SentencePiece library (tools/parity/llama_tokenizer_goldens.py).</summary>
public class TokenizerTests
{
    static readonly Lazy<LlamaTextTokenizer> Llama = new(() => LlamaTextTokenizer.Load(Path.Combine(LlamaFixtures.Dir, "tokenizer.model")));
    static JsonElement Goldens => JsonDocument.Parse(File.ReadAllText(Path.Combine(LlamaFixtures.Dir, "tokenizer_goldens.json"))).RootElement;

    static LlamaTextTokenizer WithSegTokens()
    {
        var t = LlamaTextTokenizer.Load(Path.Combine(LlamaFixtures.Dir, "tokenizer.model"));
        t.AddSegmentationTokens(imageStartEnd: true);
        return t;
    }

    [Fact]
    public void HelloWorld()
    {
        Assert.Equal([1, 15043, 3186], Llama.Value.Encode("Hello world"));
        Assert.Equal(32000, Llama.Value.BaseVocabSize);
        Assert.Equal((1, 2, 0), (Llama.Value.BosId, Llama.Value.EosId, Llama.Value.PadId));
    }

    [Fact]
    public void IdsEqualSentencePieceOnEveryGoldenString()
    {
        var cases = Goldens.GetProperty("cases").EnumerateArray().ToList();
        Assert.True(cases.Count >= 30);
        var wrong = cases.Select(c => (Text: c.GetProperty("text").GetString()!, Ids: c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToList()))
            .Where(c => !c.Ids.SequenceEqual(Llama.Value.Encode(c.Text)))
            .Select(c => $"'{c.Text}': expected [{string.Join(",", c.Ids)}] got [{string.Join(",", Llama.Value.Encode(c.Text))}]").ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void AddedTokensSplitLikeLisasTokenizer()
    {
        var t = WithSegTokens();
        foreach (var s in Goldens.GetProperty("special_tokens").EnumerateArray())
            Assert.Equal(s.GetProperty("id").GetInt32(), t.IdOf(s.GetProperty("token").GetString()!));
        Assert.Equal(32004, t.VocabSize);
        foreach (var c in Goldens.GetProperty("special_cases").EnumerateArray())
        {
            var text = c.GetProperty("text").GetString()!;
            Assert.Equal(c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()), t.Encode(text));
        }
    }

    [Fact]
    public void DecodeRoundTripsPlainAndSpecialText()
    {
        var t = WithSegTokens();
        Assert.Equal("Hello world", t.Decode(t.Encode("Hello world")));
        Assert.Equal("Grüße aus München 123", t.Decode(t.Encode("Grüße aus München 123")));
        Assert.Equal("Sure, it is [SEG] .", t.Decode(t.Encode("Sure, it is [SEG].")));
        Assert.Throws<BadInputException>(() => t.Decode([40000]));
    }

    [Fact]
    public void AddingTheSameTokenTwiceKeepsItsId()
    {
        var t = WithSegTokens();
        Assert.Equal(32000, t.AddSpecialToken("[SEG]"));
        Assert.Equal(32004, t.VocabSize);
        Assert.Throws<BadInputException>(() => t.IdOf("<missing>"));
    }

    [Fact]
    public void MissingOrCorruptModelIsABadInput()
    {
        Assert.Throws<BadInputException>(() => LlamaTextTokenizer.Load("/nonexistent/tokenizer.model"));
        var bad = Path.GetTempFileName();
        try
        {
            File.WriteAllText(bad, "not a sentencepiece model");
            Assert.Throws<BadInputException>(() => LlamaTextTokenizer.Load(bad));
        }
        finally { File.Delete(bad); }
    }

    [Fact]
    public void WordTokenizerEncodesWordsAndPunctuation()
    {
        var t = WordTokenizer.FromCorpus(["the red cube left of the blue ball.", "what is it? sure, it is"]);
        t.AddSegmentationTokens();
        var ids = t.Encode("What is the red cube? Sure, it is [SEG].");
        Assert.Equal(t.BosId, ids[0]);
        Assert.Equal("what is the red cube? sure, it is [SEG] .", t.Decode(ids));
        Assert.Equal(t.IdOf("[SEG]"), ids[^2]);
        Assert.Equal(t.UnkId, t.Encode("a green pyramid", addBos: false)[1]);
        var path = Path.GetTempFileName();
        try
        {
            t.Save(path);
            var back = WordTokenizer.Load(path);
            back.AddSegmentationTokens();
            Assert.Equal(ids, back.Encode("What is the red cube? Sure, it is [SEG]."));
        }
        finally { File.Delete(path); }
    }
}
