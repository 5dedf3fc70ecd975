using System.Text.Json;
using TorchSharp;
using VisualWords.Checkpoints;
using VisualWords.Language;
using VisualWords.Segmenter;
using Xunit;
using static TorchSharp.torch;

namespace VisualWords.Tests.Segmenter;

/// <summary>
/// LISA-7B-v1 at full size, on the meta device (no 7B parameters allocated). The expected keys are
/// composed from the official parts' manifests in tests/fixtures in LISA's saved layout: LLaMA-7B
/// (embeddings and lm_head resized to 32,003 rows by resize_token_embeddings), SAM ViT-H under
/// model.visual_model., LLaVA's Linear mm_projector and LISA's text_hidden_fcs. The CLIP tower, which
/// LISA saves without, is the CLIP-L/14 manifest with the 224-pixel position table (16² + 1 rows).
/// </summary>
[Collection("MetaDeviceCollection")]
public class LisaManifestTests
{
    const int Hidden = 4096, Clip = 1024, Prompt = 256, Vocab = 32003;

    static Dictionary<string, long[]> LisaSavedLayout()
    {
        var keys = new Dictionary<string, long[]>(StringComparer.Ordinal);
        using (var llama = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("llama", "manifest-llama-7b.json"))))
            foreach (var p in llama.RootElement.GetProperty("tensors").EnumerateObject())
            {
                var shape = p.Value.EnumerateArray().Select(v => v.GetInt64()).ToArray();
                if (p.Name is "model.embed_tokens.weight" or "lm_head.weight") shape[0] = Vocab;
                keys[p.Name] = shape;
            }
        using (var sam = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("sam", "manifest_vit_h.json"))))
            foreach (var k in sam.RootElement.GetProperty("keys").EnumerateArray())
                keys["model.visual_model." + k[0].GetString()] = k[1].EnumerateArray().Select(v => v.GetInt64()).ToArray();
        keys["model.mm_projector.weight"] = [Hidden, Clip];
        keys["model.mm_projector.bias"] = [Hidden];
        keys["model.text_hidden_fcs.0.0.weight"] = [Hidden, Hidden];
        keys["model.text_hidden_fcs.0.0.bias"] = [Hidden];
        keys["model.text_hidden_fcs.0.2.weight"] = [Prompt, Hidden];
        keys["model.text_hidden_fcs.0.2.bias"] = [Prompt];
        return keys;
    }

    static Dictionary<string, long[]> Clip224Tower()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("vision", "clip-vit-large-patch14-336.manifest.json")));
        var keys = doc.RootElement.GetProperty("keys").EnumerateObject()
            .ToDictionary(p => "vision_tower." + p.Name, p => p.Value.EnumerateArray().Select(v => v.GetInt64()).ToArray());
        keys["vision_tower.vision_model.embeddings.position_embedding.weight"] = [(224 / 14) * (224 / 14) + 1, Clip];
        return keys;
    }

    [Fact]
    public void Lisa7BRegistryModelHasExactlyTheCheckpointsKeysAndShapes()
    {
        var lisa = LisaConfig.Registry["LISA-7B-v1"];
        var tokenizer = LisaCheckpoint.AddLisaTokens(LlamaTextTokenizer.Load(Fixtures.Path("llama", "tokenizer.model")),
            lisa.AddedTokens!.Select((t, i) => (t, 32000 + i)), lisa.ImageStartEnd);
        var config = lisa.ToModelConfig(LisaCheckpoint.VisionTowerName(lisa, null));
        Assert.Equal(("vit_h", "clip-vit-large-patch14", "linear"), (config.Sam, config.VisionTower, config.Projector));

        var expected = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var rules = new LoadOptions { PrefixRenames = LisaCheckpoint.PrefixRenames };
        foreach (var (key, shape) in LisaSavedLayout()) Assert.True(expected.TryAdd(rules.RenameKey(key), shape), key);
        foreach (var (key, shape) in Clip224Tower()) expected.Add(key, shape);

        var previous = get_default_device();
        set_default_device(META);
        try
        {
            using var model = new VisualWordsModel(config, tokenizer);
            var ours = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
            Assert.True(model.parameters().All(p => p.device_type == DeviceType.META), "built on the meta device");
            var missing = expected.Keys.Except(ours.Keys).ToList();
            var extra = ours.Keys.Except(expected.Keys).ToList();
            Assert.True(missing.Count == 0, "missing: " + string.Join(", ", missing.Take(20)));
            Assert.True(extra.Count == 0, "extra: " + string.Join(", ", extra.Take(20)));
            var wrong = expected.Where(kv => !kv.Value.SequenceEqual(ours[kv.Key]))
                .Select(kv => $"{kv.Key}: LISA [{string.Join(", ", kv.Value)}] ours [{string.Join(", ", ours[kv.Key])}]").ToList();
            Assert.True(wrong.Count == 0, string.Join("; ", wrong.Take(20)));
            long saved = LisaSavedLayout().Values.Sum(s => s.Aggregate(1L, (a, b) => a * b));
            // LLaMA-7B 6,738,415,616 + 3 new rows x 2 matrices + projector + SAM ViT-H (641,090,608 parameters
            // + the 2 x 128 random-Fourier buffer of its prompt encoder) + text_hidden_fcs
            Assert.Equal(6_738_415_616L + 3 * 2 * Hidden + (Hidden * Clip + Hidden) + 641_090_608L + 2 * 128
                + (Hidden * Hidden + Hidden + Prompt * Hidden + Prompt), saved);
        }
        finally
        {
            set_default_device(previous);
        }
    }
}
