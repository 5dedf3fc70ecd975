using VisualWords.Checkpoints;
using VisualWords.Language;
using Xunit;
using static TorchSharp.torch;

namespace VisualWords.Tests.Language;

/// <summary>Real HF checkpoints carry quirks: stored RoPE tables, fp16 weights, renamed or wrongly shaped keys.</summary>
public class LlamaCheckpointTests
{
    static string CopyWith(Action<StateDict> edit)
    {
        var dir = Directory.CreateTempSubdirectory("vw-llama-").FullName;
        File.Copy(Path.Combine(LlamaFixtures.TinyHf, "config.json"), Path.Combine(dir, "config.json"));
        using var sd = Checkpoint.Load(LlamaFixtures.TinyHf);
        edit(sd);
        Checkpoint.SaveSafetensors(Path.Combine(dir, "model.safetensors"), sd);
        return dir;
    }

    [Fact]
    public void StoredRotaryTablesAreSkippedAndFp16IsCast()
    {
        var dir = CopyWith(sd =>
        {
            // Llama-2-7b-hf / Vicuna .bin shards store this buffer per layer; we derive it from the config.
            sd.Add("model.layers.0.self_attn.rotary_emb.inv_freq", ones(8));
            var w = sd.Remove("model.norm.weight");
            sd.Add("model.norm.weight", w.to_type(ScalarType.Float16));
            w.Dispose();
        });
        try
        {
            using var _ = no_grad();
            using var g = LlamaFixtures.Goldens();
            using var m = LlamaCheckpoint.Load(dir);
            using var logits = m.forward(g["prompt_ids"].unsqueeze(0)).squeeze(0);
            Assert.True(LlamaFixtures.MaxAbsDiff(logits, g["logits"]) < 1e-2); // norm weights rounded to fp16
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void WrongShapeAndUnknownKeyAreNamed()
    {
        var dir = CopyWith(sd =>
        {
            sd.Remove("lm_head.weight").Dispose();
            sd.Add("lm_head.weight", zeros(97, 64));
            sd.Add("model.extra.weight", zeros(2));
        });
        try
        {
            var e = Assert.Throws<BadInputException>(() => LlamaCheckpoint.Load(dir));
            Assert.Contains("lm_head.weight", e.Message);
            Assert.Contains("model.extra.weight", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void PrefixRenamesLoadAnEmbeddedLanguageModel()
    {
        // A multimodal checkpoint keeps the LLM under another prefix and carries other modules.
        var dir = CopyWith(sd =>
        {
            foreach (var k in sd.Keys.Where(k => k.StartsWith("model.")).ToList()) sd.Add("llm." + k, sd.Remove(k));
            sd.Add("vision.proj.weight", zeros(3, 3));
        });
        try
        {
            using var m = new LlamaForCausalLM(LlamaConfig.FromJsonFile(dir), initialize: false);
            var report = LlamaCheckpoint.LoadWeights(m, dir, new LoadOptions
            {
                PrefixRenames = [("llm.model.", "model.")], OnlyPrefixes = ["model.", "lm_head."],
            });
            Assert.True(report.IsClean, report.ToString());
            Assert.Equal(m.state_dict().Count, report.Loaded.Count);
        }
        finally { Directory.Delete(dir, true); }
    }
}
