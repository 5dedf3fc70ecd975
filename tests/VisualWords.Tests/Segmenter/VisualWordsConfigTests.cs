using System.Text.Json;
using VisualWords.Segmenter;

namespace VisualWords.Tests.Segmenter;

public class VisualWordsConfigTests
{
    static VisualWordsConfig Parse(string json) => VisualWordsConfig.Parse(JsonDocument.Parse(json).RootElement.Clone(), "visualwords.json");

    [Fact]
    public void Choices_read_and_write_the_same_json_strings()
    {
        var c = Parse("""
            { "llm": {}, "vision_resize": "crop", "llm_dtype": "bfloat16", "tokenizer": "sentencepiece",
              "grounding": true, "grounding_prompt": "chosen", "mask_from": "words" }
            """);
        Assert.Equal((VisionResizeMode.Crop, LlmDtype.BFloat16, TokenizerKind.SentencePiece, GroundingPromptMode.Chosen, MaskSource.Words),
            (c.VisionResize, c.LlmDtype, c.Tokenizer, c.GroundingPrompt, c.MaskFrom));
        c.Validate();
        var json = c.ToJson();
        foreach (var s in new[] { "\"vision_resize\": \"crop\"", "\"llm_dtype\": \"bfloat16\"", "\"tokenizer\": \"sentencepiece\"", "\"grounding_prompt\": \"chosen\"", "\"mask_from\": \"words\"" })
            Assert.Contains(s, json);
        var defaults = Parse("""{ "llm": {} }""").ToJson();
        foreach (var s in new[] { "\"vision_resize\": \"stretch\"", "\"llm_dtype\": \"float32\"", "\"tokenizer\": \"word\"", "\"grounding_prompt\": \"soft\"", "\"mask_from\": \"decoder\"" })
            Assert.Contains(s, defaults);
        Assert.Equal(json, Parse(json).ToJson());
    }

    [Fact]
    public void Shipped_configs_still_load()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(FindRepo(), "models"), "visualwords.json", SearchOption.AllDirectories))
            VisualWordsConfig.Load(file).Validate();
    }

    static string FindRepo()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !Directory.Exists(Path.Combine(d.FullName, "models"))) d = d.Parent;
        return d?.FullName ?? throw new DirectoryNotFoundException("repository root with models/");
    }

    [Fact]
    public void A_bad_choice_names_the_field_and_its_values()
    {
        string Bad(string field, string value) =>
            Assert.Throws<BadInputException>(() => Parse($$"""{ "llm": {}, "{{field}}": {{value}} }""")).Message;
        var cases = new[]
        {
            (Bad("mask_from", "\"sideways\""), "$.mask_from", "one of decoder, words"),
            (Bad("llm_dtype", "\"float16\""), "$.llm_dtype", "one of float32, bfloat16"),
            (Bad("tokenizer", "\"bpe\""), "$.tokenizer", "one of word, sentencepiece"),
            (Bad("vision_resize", "1"), "$.vision_resize", "one of stretch, crop"),
            (Bad("grounding_prompt", "\"hard\""), "$.grounding_prompt", "one of soft, chosen"),
        };
        foreach (var (message, field, values) in cases)
        {
            Assert.StartsWith("visualwords.json: ", message);
            Assert.Contains(field, message);
            Assert.Contains(values, message);
            Assert.DoesNotContain("VisualWords.", message);
            Assert.DoesNotContain("System.", message);
        }
    }

    [Fact]
    public void Validate_keeps_the_rules_between_fields()
    {
        var words = Parse("""{ "llm": {}, "mask_from": "words" }""");
        Assert.Contains("mask_from 'words' needs grounding", Assert.Throws<BadInputException>(words.Validate).Message);
        (words with { Grounding = true }).Validate();
    }
}
