using VisualWords.Checkpoints;
using VisualWords.Language;
using Xunit;
using static TorchSharp.torch;

namespace VisualWords.Tests.Language;

/// <summary>Our decoder against karpathy/llama2.c (renamed to HF keys) at a tiny GQA config.</summary>
public class LlamaParityTests
{
    [Fact]
    public void LogitsMatchReference()
    {
        using var _ = no_grad();
        using var g = LlamaFixtures.Goldens();
        using var model = LlamaCheckpoint.Load(LlamaFixtures.TinyHf);
        model.eval();
        using var logits = model.forward(g["prompt_ids"].unsqueeze(0)).squeeze(0);
        Assert.Equal(g["logits"].shape, logits.shape);
        Assert.True(LlamaFixtures.MaxAbsDiff(logits, g["logits"]) <= 1e-4, $"max diff {LlamaFixtures.MaxAbsDiff(logits, g["logits"])}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GreedyTokensMatchReferenceWithAndWithoutCache(bool useCache)
    {
        using var g = LlamaFixtures.Goldens();
        using var model = LlamaCheckpoint.Load(LlamaFixtures.TinyHf);
        model.eval();
        var expected = LlamaFixtures.Ids(g["greedy_ids"]);
        using var embeds = model.Embed(g["prompt_ids"].unsqueeze(0));
        var result = Generation.Generate(model, embeds, new GenerationOptions { MaxNewTokens = expected.Length, UseKvCache = useCache });
        Assert.Equal(expected.Select(i => (int)i), result.Tokens[0]);
    }

    [Fact]
    public void RopeThetaAndLinearScalingMatchReference()
    {
        using var _ = no_grad();
        using var g = LlamaFixtures.Goldens();
        var config = LlamaConfig.FromJsonFile(LlamaFixtures.TinyHf) with { RopeTheta = 500000, RopeScaling = new RopeScaling("linear", 2.0) };
        using var model = new LlamaForCausalLM(config, initialize: false);
        LlamaCheckpoint.LoadWeights(model, LlamaFixtures.TinyHf, new LoadOptions());
        model.eval();
        using var logits = model.forward(g["prompt_ids"].unsqueeze(0)).squeeze(0);
        Assert.True(LlamaFixtures.MaxAbsDiff(logits, g["logits_theta500k_linear2"]) <= 1e-4);
        Assert.True(LlamaFixtures.MaxAbsDiff(logits, g["logits"]) > 1e-2, "the RoPE change must matter");
    }

    [Fact]
    public void Llama3FrequencyScalingMatchesReference()
    {
        using var g = LlamaFixtures.Goldens();
        var inv = RotaryEmbedding.InverseFrequencies(128, 500000, new RopeScaling("llama3", 8.0, 1.0, 4.0, 8192));
        using var ours = tensor(inv, dtype: ScalarType.Float32);
        using var rel = ((ours - g["llama3_inv_freq"]).abs() / g["llama3_inv_freq"]).max();
        Assert.True(rel.item<float>() < 1e-6);
    }

    [Fact]
    public void Bf16ShardedBinLoadsAndStaysClose()
    {
        using var _ = no_grad();
        using var g = LlamaFixtures.Goldens();
        using var model = LlamaCheckpoint.Load(LlamaFixtures.TinyHfBin, ScalarType.BFloat16);
        model.eval();
        Assert.Equal(ScalarType.BFloat16, model.DType);
        using var logits = model.forward(g["prompt_ids"].unsqueeze(0)).squeeze(0);
        Assert.Equal(ScalarType.BFloat16, logits.dtype);
        // bf16 keeps ~3 significant digits: compare against the scale of the fp32 logits.
        double scale = g["logits"].abs().max().item<float>();
        Assert.True(LlamaFixtures.MaxAbsDiff(logits, g["logits"]) < 0.05 * scale, $"diff {LlamaFixtures.MaxAbsDiff(logits, g["logits"])} scale {scale}");
        Assert.Equal(LlamaFixtures.Ids(g["logits"].argmax(-1)), LlamaFixtures.Ids(logits.argmax(-1)));
    }

    [Fact]
    public void Fp32ModelLoadsBf16CheckpointByCasting()
    {
        using var _ = no_grad();
        using var model = LlamaCheckpoint.Load(LlamaFixtures.TinyHfBin);
        Assert.Equal(ScalarType.Float32, model.DType);
    }

    [Fact]
    public void MissingWeightIsReportedByName()
    {
        var dir = Directory.CreateTempSubdirectory("vw-llama-").FullName;
        try
        {
            File.Copy(Path.Combine(LlamaFixtures.TinyHf, "config.json"), Path.Combine(dir, "config.json"));
            using (var sd = Checkpoint.Load(LlamaFixtures.TinyHf))
            {
                sd.Remove("model.norm.weight").Dispose();
                Checkpoint.SaveSafetensors(Path.Combine(dir, "model.safetensors"), sd);
            }
            var e = Assert.Throws<BadInputException>(() => LlamaCheckpoint.Load(dir));
            Assert.Contains("model.norm.weight", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
