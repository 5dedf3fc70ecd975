using VisualWords.Checkpoints;
using VisualWords.Projectors;
using static TorchSharp.torch;
using static VisualWords.Tests.Projectors.ProjectorTestData;

namespace VisualWords.Tests.Projectors;

public class ProjectorTests
{
    static ProjectorInput Input(int batch, int gh, int gw, long seed, params Tensor[] labels) =>
        new(Features(batch, gh, gw, seed), gh, gw, labels.Length == 0 ? null : labels);

    public static TheoryData<string> AllKinds => new() { "linear", "mlp2x_gelu", "pool2", "resampler5", "semantic" };

    static VisualProjector Create(string kind) => kind == "semantic"
        ? Semantic().Create()
        : ProjectorConfig.Parse(kind, C, D) switch
        {
            ResamplerProjectorConfig r => (r with { Heads = Heads, Layers = 2 }).Create(),
            var c => c.Create(),
        };

    [Fact]
    public void TokenCountsFollowEachProjectorsRule()
    {
        using var _ = no_grad();
        using var input = Features(2, 12, 12, seed: 1);
        var x = new ProjectorInput(input, 12, 12, [FourRegions(), TwoRegionsOddSize()]);
        using (var t = Create("mlp2x_gelu").forward(x)) Assert.Equal(new long[] { 2, 144, D }, t.Tokens.shape);
        foreach (var k in new[] { 2, 3, 4 })
        {
            using var t = new PoolingProjectorConfig(C, D, k).Create().forward(x);
            Assert.Equal(new long[] { 2, 144 / (k * k), D }, t.Tokens.shape);
            Assert.True(t.Mask.all().item<bool>());
        }
        using (var t = Create("resampler5").forward(x)) Assert.Equal(new long[] { 2, 5, D }, t.Tokens.shape);
        using (var t = Create("semantic").forward(x))
        {
            Assert.Equal(new long[] { 2, 4, D }, t.Tokens.shape);
            Assert.Equal(new long[] { 4, 2 }, t.Lengths);
            Assert.Equal(new[] { true, true, true, true, true, true, false, false }, t.Mask.flatten().data<bool>().ToArray());
            Assert.Equal(0f, t.Tokens[1, 2..].abs().max().item<float>());
        }
    }

    [Fact]
    public void LinearProjectorIsOneLinearPerPatchUnderLisasKeys()
    {
        using var _ = no_grad();
        using var p = Create("linear");
        var sd = p.state_dict();
        Assert.Equal(new[] { "mm_projector.bias", "mm_projector.weight" }, sd.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(new long[] { D, C }, sd["mm_projector.weight"].shape);
        using var f = Features(2, 3, 5, seed: 3);
        using var t = p.forward(new ProjectorInput(f, 3, 5, null));
        Assert.Equal(new long[] { 2, 15, D }, t.Tokens.shape);
        Assert.Equal(new long[] { 15, 15 }, t.Lengths);
        // x W^T + b computed by hand, patch by patch
        using var expected = matmul(f, sd["mm_projector.weight"].t()) + sd["mm_projector.bias"];
        Assert.True(TensorAssert.MaxAbsDiff(expected, t.Tokens) < 1e-5);
        Assert.Throws<BadInputException>(() => p.forward(new ProjectorInput(Features(1, 3, 5, seed: 4)[.., .., ..(C - 1)], 3, 5, null)));
    }

    [Fact]
    public void PoolingOfAGridNotDivisibleByKAveragesTheEdgePatches()
    {
        using var _ = no_grad();
        using var t = new PoolingProjectorConfig(C, D, 4).Create().forward(Input(1, 6, 6, seed: 2));
        Assert.Equal(4, t.Tokens.shape[1]);  // ⌈6/4⌉²
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void GradientsReachEveryTrainableParameter(string kind)
    {
        using var p = Create(kind);
        using var t = p.forward(Input(2, 6, 6, 5, FourRegions(), TwoRegionsOddSize()));
        t.Tokens.pow(2).sum().backward();
        foreach (var (name, param) in p.named_parameters())
        {
            Assert.True(param.grad is not null, $"{kind}: {name} has no gradient");
            Assert.True(param.grad!.abs().sum().item<float>() > 0, $"{kind}: {name} has an all-zero gradient");
        }
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void PaddedBatchGivesTheSameTokensAsEachImageAlone(string kind)
    {
        using var _ = no_grad();
        using var p = Create(kind);
        p.eval();
        Tensor[] labels = [TwoRegionsOddSize(), FourRegions()];
        using var f = Features(2, 6, 6, seed: 7);
        using var batch = p.forward(new ProjectorInput(f, 6, 6, labels));
        for (var i = 0; i < 2; i++)
        {
            using var single = p.forward(new ProjectorInput(f[i..(i + 1)], 6, 6, [labels[i]]));
            var n = single.Lengths[0];
            Assert.Equal(n, batch.Lengths[i]);
            var diff = (batch.Tokens[i, ..(int)n] - single.Tokens[0]).abs().max().item<float>();
            Assert.True(diff < 1e-5, $"{kind}: image {i} differs by {diff}");
        }
    }

    [Fact]
    public void InsideAttentionNeverReadsPatchesOutsideTheRegion()
    {
        using var _ = no_grad();
        var labels = FourRegions();
        using var p = Semantic(global: false).Create();
        using var f = Features(1, 6, 6, seed: 11);
        var (l, regions) = SuperpixelPooling.CheckLabels(labels);
        using var outside = SuperpixelPooling.PixelCounts(l, regions, 6, 6)[1].eq(0);  // patches region 1 does not touch
        using var perturbed = f + outside.view(1, 36, 1).to(float32) * randn(1, 36, C) * 5;
        using var a = p.forward(new ProjectorInput(f, 6, 6, [labels]));
        using var b = p.forward(new ProjectorInput(perturbed, 6, 6, [labels]));
        Assert.True((a.Tokens[0, 1] - b.Tokens[0, 1]).abs().max().item<float>() < 1e-5);
        // Region 0 (background) touches some of those patches, so its token must move.
        Assert.True((a.Tokens[0, 0] - b.Tokens[0, 0]).abs().max().item<float>() > 1e-3);

        // With the global branch on, the same perturbation reaches region 1 (context).
        using var g = Semantic(global: true).Create();
        using var c = g.forward(new ProjectorInput(f, 6, 6, [labels]));
        using var d = g.forward(new ProjectorInput(perturbed, 6, 6, [labels]));
        Assert.True((c.Tokens[0, 1] - d.Tokens[0, 1]).abs().max().item<float>() > 1e-3);
    }

    [Fact]
    public void AblationFlagsRemoveTheirModules()
    {
        using var full = Semantic().Create();
        using var plain = Semantic(sspe: false, ssa: false).Create();
        var fullKeys = full.state_dict().Keys.ToList();
        Assert.Contains(fullKeys, k => k.StartsWith("sspe.geometry_mlp."));
        Assert.Contains(fullKeys, k => k.StartsWith("ssa.layers.1.inside_attn.q_proj"));
        Assert.Contains(fullKeys, k => k.StartsWith("ssa.layers.0.global_attn."));
        Assert.Equal(["mm_projector.0.weight", "mm_projector.0.bias", "mm_projector.2.weight", "mm_projector.2.bias"],
            plain.state_dict().Keys.ToArray());
        using var noGlobal = Semantic(global: false).Create();
        Assert.DoesNotContain(noGlobal.state_dict().Keys, k => k.Contains("global_attn"));
    }

    [Fact]
    public void PoolOnlySemanticProjectorOfASinglePatchRegionEqualsTheMlpOfThatPatch()
    {
        using var _ = no_grad();
        var l = zeros(48, 48, dtype: int64);
        l[16..24, 8..16] = 1;
        using var svp = Semantic(sspe: false, ssa: false).Create();
        using var mlp = new MlpProjectorConfig(C, D).Create();
        using var sd = new StateDict();
        foreach (var (k, v) in svp.state_dict()) sd.Add(k, v.clone());
        Assert.True(StateDictLoader.LoadInto(mlp, sd).IsClean);
        using var f = Features(1, 6, 6, seed: 13);
        using var a = svp.forward(new ProjectorInput(f, 6, 6, [l]));
        using var b = mlp.forward(new ProjectorInput(f, 6, 6));
        Assert.True((a.Tokens[0, 1] - b.Tokens[0, 2 * 6 + 1]).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void LlavaProjectorWeightsLoadByName()
    {
        using var p = new MlpProjectorConfig(C, D).Create();
        using var sd = new StateDict();
        sd.Add("model.mm_projector.0.weight", ones(D, C));
        sd.Add("model.mm_projector.0.bias", zeros(D));
        sd.Add("model.mm_projector.2.weight", ones(D, D));
        sd.Add("model.mm_projector.2.bias", zeros(D));
        var report = StateDictLoader.LoadInto(p, sd, new LoadOptions { PrefixRenames = [("model.", "")] });
        Assert.True(report.IsClean, report.ToString());
    }

    [Fact]
    public void BadInputsAreRejectedWithClearMessages()
    {
        using var svp = Semantic().Create();
        using var f = Features(2, 6, 6, seed: 1);
        Assert.Contains("one superpixel label map per image",
            Assert.Throws<BadInputException>(() => svp.forward(new ProjectorInput(f, 6, 6, [FourRegions()]))).Message);
        Assert.Contains("grid is 5x6",
            Assert.Throws<BadInputException>(() => svp.forward(new ProjectorInput(f, 5, 6, [FourRegions(), FourRegions()]))).Message);
        using var mlp = new MlpProjectorConfig(C + 1, D).Create();
        Assert.Throws<BadInputException>(() => mlp.forward(new ProjectorInput(f, 6, 6)));
        Assert.Throws<BadInputException>(() => ProjectorConfig.Parse("pool5", C, D));
        Assert.Throws<BadInputException>(() => ProjectorConfig.Parse("resamplerx", C, D));
        Assert.IsType<SemanticProjectorConfig>(ProjectorConfig.Parse("semantic-no-ssa", C, D));
        Assert.Equal(32, ((ResamplerProjectorConfig)ProjectorConfig.Parse("resampler32", C, D)).Queries);
    }
}
