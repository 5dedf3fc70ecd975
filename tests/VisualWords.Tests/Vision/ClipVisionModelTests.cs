using VisualWords.Checkpoints;
using VisualWords.Vision;
using static TorchSharp.torch;
using static VisualWords.Tests.Vision.VisionFixtures;

namespace VisualWords.Tests.Vision;

/// <summary>Parity with openai/CLIP's model.py at a tiny size (goldens: tools/parity/vision_goldens.py).</summary>
public class ClipVisionModelTests
{
    static ClipVisionModel LoadTiny()
    {
        var model = (ClipVisionModel)VisionTowers.Get("clip-tiny").Create();
        using var sd = Load("clip_tiny.safetensors");
        var report = model.Load(sd);
        Assert.True(report.IsClean, report.ToString());
        model.eval();
        return model;
    }

    [Fact]
    public void SecondToLastLayerPatchesMatchUpstream()
    {
        using var _ = no_grad();
        using var model = LoadTiny();
        using var io = Load("clip_tiny_io.safetensors");
        using var features = model.forward(io["pixels"]);
        Assert.Equal(new long[] { 2, 16, 32 }, features.shape);
        AssertClose(io["layer_minus2_patches"], features);
    }

    [Fact]
    public void LastHiddenStateAndPooledMatchUpstream()
    {
        using var _ = no_grad();
        using var model = LoadTiny();
        using var io = Load("clip_tiny_io.safetensors");
        using var last = model.HiddenState(io["pixels"], -1);
        AssertClose(io["last_hidden_state"], last);
        using var pooled = model.Pooled(io["pixels"]);
        AssertClose(io["pooled"], pooled);
    }

    [Fact]
    public void InterpolatedPositionsForNonSquareInputMatchReference()
    {
        using var _ = no_grad();
        using var model = LoadTiny();
        using var io = Load("clip_tiny_io.safetensors");
        using var features = model.forward(io["pixels_40x48"]);
        Assert.Equal(new long[] { 1, 30, 32 }, features.shape);
        AssertClose(io["layer_minus2_patches_40x48"], features);
    }

    [Fact]
    public void FullCheckpointWithTextTowerAndPositionIdsLoads()
    {
        using var model = (ClipVisionModel)VisionTowers.Get("clip-tiny").Create();
        using var sd = Load("clip_tiny.safetensors");
        sd.Add("vision_model.embeddings.position_ids", arange(17).unsqueeze(0));
        sd.Add("text_model.embeddings.token_embedding.weight", zeros(10, 8));
        Assert.True(model.Load(sd).IsClean);
    }

    [Fact]
    public void InputNotTilingIntoPatchesIsRejected()
    {
        using var model = VisionTowers.Get("clip-tiny").Create();
        var ex = Assert.Throws<BadInputException>(() => model.forward(zeros(1, 3, 30, 32)));
        Assert.Contains("8x8 patches", ex.Message);
    }

    [Fact]
    public void FullSizeKeysAndShapesMatchManifest()
    {
        var expected = Manifest("clip-vit-large-patch14-336.manifest.json");
        using var model = VisionTowers.Get("clip-vit-large-patch14-336").Create(META);
        var actual = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.Equal(expected.Keys.OrderBy(k => k, StringComparer.Ordinal), actual.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (key, shape) in expected) Assert.True(shape.SequenceEqual(actual[key]), key);
        Assert.Equal(24 * 24, model.Config.NativeGrid * model.Config.NativeGrid);
    }
}

public class VisionTowerTests
{
    [Fact]
    public void NormalizeMapsPixelMeanToZero()
    {
        using var tower = VisionTowers.Get("clip-tiny").Create();
        var mean = tower.Config.PixelMean.Select(m => m * 255f).ToArray();
        using var pixels = tensor(mean).view(1, 3, 1, 1).expand(2, 3, 8, 8);
        using var normalized = tower.Normalize(pixels);
        Assert.True(normalized.abs().max().item<float>() < 1e-5);
        Assert.Throws<BadInputException>(() => tower.Normalize(zeros(3, 8, 8)));
    }

    [Fact]
    public void GridSizeAndRegistryNames()
    {
        var clip = VisionTowers.Get("clip-vit-large-patch14-336");
        Assert.Equal(24, clip.NativeGrid);
        using var tower = VisionTowers.Get("dinov2-tiny").Create();
        Assert.Equal((5, 6), tower.GridSize(40, 48));
        Assert.Contains("unknown vision tower", Assert.Throws<BadInputException>(() => VisionTowers.Get("vit-huge")).Message);
    }
}
