using System.Text.Json;
using VisualWords.Language;
using Xunit;
using static TorchSharp.torch;

namespace VisualWords.Tests.Language;

/// <summary>
/// Full-size key/shape manifests: our module built on the meta device (no memory) must have exactly
/// the keys and shapes of LLaMA-7B as llama2.c's 7B defaults give them under HF names.
/// </summary>
public class LlamaManifestTests
{
    [Theory]
    [InlineData("llama-2-7b")]
    [InlineData("vicuna-7b")]
    public void SevenBKeysAndShapesMatchManifest(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(LlamaFixtures.Dir, "manifest-llama-7b.json")));
        Assert.Contains(name, doc.RootElement.GetProperty("models").EnumerateArray().Select(e => e.GetString()));
        var expected = doc.RootElement.GetProperty("tensors").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetInt64()).ToArray());

        using var model = new LlamaForCausalLM(LlamaConfig.Registry[name], device: new Device(TorchSharp.DeviceType.META), initialize: false);
        var ours = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.Empty(expected.Keys.Except(ours.Keys));
        Assert.Empty(ours.Keys.Except(expected.Keys));
        foreach (var (k, shape) in expected) Assert.True(shape.SequenceEqual(ours[k]), $"{k}: {string.Join("x", ours[k])}");
        long count = ours.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b));
        Assert.Equal(doc.RootElement.GetProperty("parameter_count").GetInt64(), count);
        Assert.Equal(6_738_415_616L, count); // Llama-2-7B's published parameter count
    }

    [Fact]
    public void ConfigJsonFieldsAreRead()
    {
        var c = LlamaConfig.FromJson("""
            {"model_type":"llama","hidden_size":4096,"intermediate_size":14336,"num_hidden_layers":32,
             "num_attention_heads":32,"num_key_value_heads":8,"rms_norm_eps":1e-5,"rope_theta":500000.0,
             "rope_scaling":{"factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,
                             "original_max_position_embeddings":8192,"rope_type":"llama3"},
             "vocab_size":128256,"tie_word_embeddings":false,"eos_token_id":[128001,128008]}
            """);
        Assert.Equal(8, c.NumKeyValueHeads);
        Assert.Equal(128, c.HeadDim);
        Assert.Equal(500000.0, c.RopeTheta);
        Assert.Equal(new RopeScaling("llama3", 8.0, 1.0, 4.0, 8192), c.RopeScaling);
        Assert.Equal(128001, c.EosTokenId);
    }

    [Theory]
    [InlineData("""{"hidden_size":100,"num_attention_heads":3}""", "divisible")]
    [InlineData("""{"num_attention_heads":32,"num_key_value_heads":5}""", "num_key_value_heads")]
    [InlineData("""{"rope_scaling":{"type":"yarn","factor":4}}""", "yarn")]
    [InlineData("""{"model_type":"bert"}""", "bert")]
    [InlineData("""[1,2]""", "object")]
    public void BadConfigsAreRejectedWithTheReason(string json, string expected)
    {
        var e = Assert.Throws<BadInputException>(() => LlamaConfig.FromJson(json));
        Assert.Contains(expected, e.Message);
    }
}
