using System.Text.Json;
using System.Text.Json.Nodes;
using VisualWords.Checkpoints;
using VisualWords.Imaging;
using VisualWords.Language;
using VisualWords.Segmenter;
using VisualWords.Tests.Sam;
using Xunit;
using static TorchSharp.torch;

namespace VisualWords.Tests.Segmenter;

/// <summary>
/// tests/fixtures/lisa/lisa-tiny: a random LISA folder in the exact saved layout, assembled by
/// tools/parity/lisa_tiny_folder.py from official tiny modules (SAM, openai/CLIP, llama2.c).
/// </summary>
public class LisaCheckpointTests
{
    static string Folder => Fixtures.Path("lisa", "lisa-tiny");

    static Dictionary<string, string> WeightMap()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "pytorch_model.bin.index.json")));
        return doc.RootElement.GetProperty("weight_map").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }

    static string Rename(string key) => new LoadOptions { PrefixRenames = LisaCheckpoint.PrefixRenames }.RenameKey(key);

    [Fact]
    public void TinyFolderLoadsStrictlyWithEveryKeyAccountedFor()
    {
        var load = LisaCheckpoint.LoadWithReport(Folder);
        using var model = load.Model;
        Assert.True(load.Report.IsClean, load.Report.ToString());
        Assert.EndsWith("clip-vit-tiny", load.VisionTowerFolder);
        Assert.Equal(("vit_tiny", "clip-tiny", "linear", 32003), (model.Config.Sam, model.Config.VisionTower, model.Config.Projector, model.llm.Config.VocabSize));
        Assert.True(model.Config.ImageStartEnd);
        Assert.Equal(VisionResizeMode.Crop, model.Config.VisionResize); // CLIPImageProcessor, as LISA feeds CLIP

        // Both shards are read; every LISA key lands on exactly one of ours; ours = LISA's + the CLIP tower.
        var map = WeightMap();
        Assert.Equal(2, map.Values.Distinct().Count());
        var ours = model.state_dict();
        var renamed = map.Keys.Select(Rename).ToList();
        Assert.Equal(renamed.Count, renamed.Distinct().Count());
        Assert.Equal(renamed.Order(StringComparer.Ordinal), load.Report.Loaded.Order(StringComparer.Ordinal));
        using var clip = Checkpoint.Load(Fixtures.Path("lisa", "clip-vit-tiny"));
        var expected = renamed.Concat(clip.Keys.Select(k => "vision_tower." + k)).Order(StringComparer.Ordinal);
        Assert.Equal(expected, ours.Keys.Order(StringComparer.Ordinal));

        // Values: bf16 as stored; the LLM stays bf16 (LISA's torch_dtype), the rest widens exactly to fp32.
        Assert.Equal((ScalarType.BFloat16, ScalarType.Float32), (model.llm.DType, ours["visual_model.mask_decoder.iou_token.weight"].dtype));
        using var sd = Checkpoint.Load(Folder);
        foreach (var (key, t) in sd)
        {
            var o = ours[Rename(key)];
            Assert.True(o.equal(t.to_type(o.dtype)).all().item<bool>(), key);
        }
        foreach (var (key, t) in clip)
            Assert.True(ours["vision_tower." + key].equal(t).all().item<bool>(), key);
    }

    [Fact]
    public void StreamingBinShardsInSmallGroupsGivesTheSameWeights()
    {
        using var reference = LisaCheckpoint.Load(Folder);
        using var fresh = new VisualWordsModel(reference.Config, reference.Tokenizer);
        var report = StateDictLoader.StreamInto(fresh, Folder, new LoadOptions { Strict = false, PrefixRenames = LisaCheckpoint.PrefixRenames },
            LisaCheckpoint.IsDerived, maxBytes: 4096); // ~100 reads, each of a few tensors (embeddings alone)
        Assert.Empty(report.Unexpected);
        Assert.All(report.Missing, k => Assert.StartsWith("vision_tower.", k));
        var want = reference.state_dict();
        foreach (var (key, t) in fresh.state_dict().Where(kv => !kv.Key.StartsWith("vision_tower.")))
            Assert.True(t.equal(want[key]).all().item<bool>(), key);
    }

    [Fact]
    public void TokenizerHasLisasAddedIdsAndThePromptWrapsTheImage()
    {
        using var model = LisaCheckpoint.Load(Folder);
        var t = model.Tokenizer;
        Assert.Equal(32000, model.SegTokenId);
        Assert.Equal((32001, 32002, 32003), (t.IdOf(SpecialTokens.ImageStart), t.IdOf(SpecialTokens.ImageEnd), t.IdOf(SpecialTokens.Image)));
        // "Sure, it is" and "." encoded on their own around [SEG] (reference SentencePiece: 18585 29892 372 338 | 869)
        Assert.Equal(new[] { 1, 18585, 29892, 372, 338, 32000, 869 }, t.Encode(ReferringConversation.AnswerText));
        var question = ReferringConversation.Question("the truck", model.Config.ImageStartEnd);
        Assert.StartsWith("<im_start><image><im_end>\n", question);
        // transformers 4.31 strips around <im_start>/<im_end>: "USER:" (3148 1001 29901) with no trailing
        // "▁" (29871), and "What" (1724) with no "▁\n" (29871 13) after <im_end>.
        var ids = t.Encode(ConversationTemplate.LlavaV1.Prompt(question)).ToList();
        int start = ids.IndexOf(32001);
        Assert.Equal(new[] { 3148, 1001, 29901, 32001, 32003, 32002, 1724, 338, 278, 534, 2707 }, ids.Skip(start - 3).Take(11));
    }

    [Fact]
    public void MaskHeadMatchesLisasPathOnTheFolderWeights()
    {
        using var _ = no_grad();
        using var model = LisaCheckpoint.Load(Folder);
        using var golden = Checkpoint.Load(Fixtures.Path("lisa", "head_golden.safetensors"));
        var image = ImageIO.Load(Fixtures.Path("sam", "truck_360x240.png"));
        var (pixels, inputSize) = model.SamInput(image);
        using var embedding = model.SamEmbedding(pixels);
        Assert.True(SamGoldens.MaxAbsDiff(golden["embedding"], embedding) < 1e-4);
        using var lowRes = model.DecodeMasks(golden["embedding"], golden["seg_hidden"]);
        Assert.True(SamGoldens.MaxAbsDiff(golden["low_res_logits"], lowRes.squeeze(1)) < 1e-4);
        using var masks = model.Postprocess(lowRes, inputSize, (image.Height, image.Width)) > 0;
        Assert.Equal(new long[] { 2, 240, 360 }, masks.shape);
        using var expected = SamGoldens.UnpackMask(golden["masks_packed"], masks.shape);
        Assert.True(SamGoldens.MaskMismatches(expected, masks) <= 2, $"{SamGoldens.MaskMismatches(expected, masks)} pixels differ");
        Assert.True(expected.any().item<bool>() && !expected.all().item<bool>(), "golden masks are neither empty nor full");
    }

    [Fact]
    public void WholeModelRunsOnAFixtureImage()
    {
        using var segmenter = new ReferringSegmenter(LisaCheckpoint.Load(Folder)) { MaxNewTokens = 3 };
        var image = ImageIO.Load(Fixtures.Path("sam", "truck_360x240.png"));
        using var session = segmenter.Open(image);
        Assert.Equal(16, session.VisualTokenCount); // one per patch of the 32-pixel, patch-8 tower
        var result = session.Segment("the truck");
        Assert.Equal((360, 240), (result.Width, result.Height));
        Assert.Equal(360 * 240, result.Mask.Length);

        // The [SEG] route without relying on what random weights generate: the last prompt position's hidden state.
        using var _ = no_grad();
        var m = segmenter.Model;
        using var packed = MultimodalPacker.Pack(m.Tokenizer, [m.Conversation("the truck", session.VisualTokenCount, withAnswer: false)]);
        using var visual = m.VisualTokens([session.Inputs]);
        using var hidden = m.Hidden(packed, visual);
        var inputSize = session.InputSize;
        using var low = m.DecodeMasks(session.Inputs.SamEmbedding, hidden[0].narrow(0, hidden.shape[1] - 1, 1));
        using var mask = m.Postprocess(low, inputSize, (240, 360));
        Assert.Equal(new long[] { 1, 240, 360 }, mask.shape);
        Assert.True(mask.isfinite().all().item<bool>());
    }

    [Fact]
    public void TowerSavedInsideAndSafetensorsShardsLoadToo()
    {
        using var dir = Fixtures.TempDir();
        WriteVariant(dir.Path, towerInside: true);
        var load = LisaCheckpoint.LoadWithReport(dir.Path);
        using var model = load.Model;
        Assert.Null(load.VisionTowerFolder);
        Assert.True(load.Report.IsClean, load.Report.ToString());
        using var clip = Checkpoint.Load(Fixtures.Path("lisa", "clip-vit-tiny"));
        foreach (var (key, t) in clip) Assert.True(model.state_dict()["vision_tower." + key].equal(t).all().item<bool>(), key);
    }

    [Fact]
    public void MissingWeightIsRejectedByName()
    {
        using var dir = Fixtures.TempDir();
        WriteVariant(dir.Path, towerInside: true, drop: "model.text_hidden_fcs.0.2.bias");
        var e = Assert.Throws<BadInputException>(() => LisaCheckpoint.Load(dir.Path));
        Assert.Contains("text_hidden_fcs.0.2.bias", e.Message);
    }

    [Fact]
    public void AbsentTowerWithoutItsClipFolderIsRejectedSayingWhereItLooked()
    {
        using var dir = Fixtures.TempDir();
        WriteVariant(dir.Path, towerInside: false);
        var e = Assert.Throws<BadInputException>(() => LisaCheckpoint.Load(dir.Path));
        Assert.Contains("no vision tower weights", e.Message);
        Assert.Contains("openai/clip-tiny", e.Message);
    }

    [Fact]
    public void LisaFoldersAreDetectedByTheSegmenter()
    {
        Assert.True(LisaCheckpoint.IsLisaFolder(Folder));
        Assert.False(LisaCheckpoint.IsLisaFolder(Fixtures.Path("llama", "tiny-hf")));
        using var segmenter = ReferringSegmenter.Load(Folder);
        Assert.Equal("linear", segmenter.Model.Config.Projector);
    }

    /// <summary>The tiny folder re-saved as two safetensors shards, the CLIP tower inside or not.</summary>
    static void WriteVariant(string dir, bool towerInside, string? drop = null)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "config.json")))!.AsObject();
        foreach (var key in new[] { "mm_vision_tower", "vision_tower" }) config[key] = "openai/clip-tiny"; // known to our registry by name
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        foreach (var f in new[] { "tokenizer.model", "added_tokens.json", "special_tokens_map.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(Folder, f), Path.Combine(dir, f));
        using var lisa = Checkpoint.Load(Folder);
        using var clip = Checkpoint.Load(Fixtures.Path("lisa", "clip-vit-tiny"));
        var shards = new Dictionary<string, List<KeyValuePair<string, Tensor>>>
        {
            ["model-00001-of-00002.safetensors"] = lisa.Where(kv => kv.Key != drop).ToList(),
            ["model-00002-of-00002.safetensors"] = towerInside
                ? clip.Select(kv => KeyValuePair.Create(LisaCheckpoint.VisionTowerPrefix + kv.Key, kv.Value))
                    .Append(KeyValuePair.Create(LisaCheckpoint.VisionTowerPrefix + "vision_model.embeddings.position_ids", arange(5).unsqueeze(0)))
                    .ToList()
                : [KeyValuePair.Create("lm_head.weight", lisa["lm_head.weight"])],
        };
        if (!towerInside) shards["model-00001-of-00002.safetensors"].RemoveAll(kv => kv.Key == "lm_head.weight");
        var map = new JsonObject();
        foreach (var (file, tensors) in shards)
        {
            Checkpoint.SaveSafetensors(Path.Combine(dir, file), tensors);
            foreach (var kv in tensors) map[kv.Key] = file;
        }
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = map }.ToJsonString());
    }
}
