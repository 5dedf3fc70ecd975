using VisualWords.Tests.Cli;
using Xunit;

namespace VisualWords.Tests.Language;

[Collection(CliCollection.Name)]
public class LlmCliTests
{
    [Fact]
    public void GreedyIdsFromTheCommandLineMatchTheReference()
    {
        using var g = LlamaFixtures.Goldens();
        var prompt = string.Join(",", LlamaFixtures.Ids(g["prompt_ids"]));
        var expected = string.Join(",", LlamaFixtures.Ids(g["greedy_ids"]));
        var (code, output, err) = CliRunner.Run("llm", "--model", LlamaFixtures.TinyHf, "--prompt-ids", prompt, "--max-new-tokens", "12");
        Assert.True(code == 0, err);
        Assert.Contains($"ids: {expected}", output);
    }

    [Theory]
    [InlineData("--prompt-ids", "1,x", "'x'")]
    [InlineData("--dtype", "float16", "float16")]
    [InlineData("--top-p", "0", "top-p")]
    public void BadOptionsExitWithCode2(string name, string value, string expected)
    {
        var args = new List<string> { "llm", "--model", LlamaFixtures.TinyHf, name, value };
        if (name != "--prompt-ids") args.AddRange(["--prompt-ids", "1,2"]);
        var (code, _, err) = CliRunner.Run([.. args]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void MissingFolderAndOutOfVocabularyPromptAreBadInput()
    {
        var (code, _, err) = CliRunner.Run("llm", "--model", "/nonexistent/llama", "--prompt-ids", "1");
        Assert.Equal(2, code);
        Assert.Contains("/nonexistent/llama", err);
        // The tiny model has 96 tokens; the LLaMA tokenizer's ids run to 32000.
        (code, _, err) = CliRunner.Run("llm", "--model", LlamaFixtures.TinyHf, "--tokenizer", Path.Combine(LlamaFixtures.Dir, "tokenizer.model"), "--prompt", "Hello world");
        Assert.Equal(2, code);
        Assert.Contains("outside the vocabulary", err);
    }
}
