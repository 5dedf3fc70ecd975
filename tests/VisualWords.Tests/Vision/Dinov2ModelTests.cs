using VisualWords.Vision;
using static TorchSharp.torch;
using static VisualWords.Tests.Vision.VisionFixtures;

namespace VisualWords.Tests.Vision;

/// <summary>Parity with facebookresearch/dinov2 at a tiny size, with and without register tokens.</summary>
public class Dinov2ModelTests
{
    static Dinov2Model LoadTiny(string name, string weights, Dinov2Config? config = null)
    {
        var model = new Dinov2Model(config ?? (Dinov2Config)VisionTowers.Get(name));
        using var sd = Load(weights);
        var report = VisualWords.Checkpoints.StateDictLoader.LoadInto(model, sd);
        Assert.True(report.IsClean, report.ToString());
        model.eval();
        return model;
    }

    [Theory]
    [InlineData("dinov2-tiny", "dinov2_tiny_reg0")]
    [InlineData("dinov2-tiny-reg2", "dinov2_tiny_reg2")]
    public void NormedPatchTokensMatchUpstream(string name, string tag)
    {
        using var _ = no_grad();
        using var model = LoadTiny(name, tag + ".safetensors");
        using var io = Load(tag + "_io.safetensors");
        using var features = model.forward(io["pixels"]);
        Assert.Equal(new long[] { 2, 16, 32 }, features.shape);
        AssertClose(io["last_norm_patches"], features);
        using var cls = model.ClsToken(io["pixels"]);
        AssertClose(io["last_norm_cls"], cls);
    }

    [Theory]
    [InlineData("dinov2-tiny", "dinov2_tiny_reg0")]
    [InlineData("dinov2-tiny-reg2", "dinov2_tiny_reg2")]
    public void InterpolatedPositionsForNonSquareInputMatchUpstream(string name, string tag)
    {
        using var _ = no_grad();
        using var model = LoadTiny(name, tag + ".safetensors");
        using var io = Load(tag + "_io.safetensors");
        using var features = model.forward(io["pixels_40x48"]);
        Assert.Equal(new long[] { 1, 30, 32 }, features.shape);
        AssertClose(io["last_norm_patches_40x48"], features);
    }

    [Fact]
    public void IntermediateLayerWithoutNormMatchesUpstream()
    {
        using var _ = no_grad();
        var config = (Dinov2Config)VisionTowers.Get("dinov2-tiny-reg2") with { FeatureLayer = 2, FinalNorm = false };
        using var model = LoadTiny("", "dinov2_tiny_reg2.safetensors", config);
        using var io = Load("dinov2_tiny_reg2_io.safetensors");
        using var features = model.forward(io["pixels"]);
        AssertClose(io["layer2_patches"], features);
    }

    [Fact]
    public void FeatureLayerOutOfRangeIsRejected()
    {
        var config = (Dinov2Config)VisionTowers.Get("dinov2-tiny") with { FeatureLayer = 4 };
        Assert.Throws<BadInputException>(() => new Dinov2Model(config));
    }

    [Fact]
    public void FullSizeKeysAndShapesMatchManifest()
    {
        var expected = Manifest("dinov2-large.manifest.json");
        using var model = VisionTowers.Get("dinov2-large").Create(META);
        var actual = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.Equal(expected.Keys.OrderBy(k => k, StringComparer.Ordinal), actual.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (key, shape) in expected) Assert.True(shape.SequenceEqual(actual[key]), key);
        Assert.Equal(37, model.Config.NativeGrid);
    }
}
