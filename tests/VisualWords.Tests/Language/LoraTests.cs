using VisualWords.Language;
using Xunit;
using static TorchSharp.torch;

namespace VisualWords.Tests.Language;

public class LoraTests
{
    static readonly long[] Ids = [1, 4, 9, 16, 25, 36];

    static void RandomizeB(LlamaForCausalLM m)
    {
        using var _ = no_grad();
        foreach (var (name, p) in m.named_parameters().Where(p => p.name.Contains("lora_B"))) p.normal_(0, 0.5);
    }

    [Fact]
    public void DefaultTargetsAreQAndVOfEveryLayerWithPeftNames()
    {
        using var m = LlamaFixtures.RandomTiny();
        var paths = Lora.Apply(m, new LoraConfig());
        Assert.Equal(["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                      "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"], paths);
        var keys = Lora.AdapterState(m).Select(kv => kv.Key).ToList();
        Assert.Contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", keys);
        Assert.Contains("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight", keys);
        Assert.Equal(8, keys.Count);
        // base weights keep their checkpoint names
        Assert.Contains("model.layers.0.self_attn.q_proj.weight", m.state_dict().Keys);
        var shapeA = m.state_dict()["model.layers.0.self_attn.q_proj.lora_A.weight"].shape;
        Assert.Equal(new long[] { 8, 32 }, shapeA);
    }

    [Fact]
    public void FreshAdapterIsIdentityAndTrainedOneChangesOutput()
    {
        using var _ = no_grad();
        using var m = LlamaFixtures.RandomTiny();
        using var before = m.forward(tensor(Ids).unsqueeze(0));
        Lora.Apply(m, new LoraConfig { TargetModules = ["q_proj", "v_proj", "down_proj"] });
        using var fresh = m.forward(tensor(Ids).unsqueeze(0));
        Assert.True(LlamaFixtures.MaxAbsDiff(before, fresh) == 0);
        RandomizeB(m);
        using var after = m.forward(tensor(Ids).unsqueeze(0));
        Assert.True(LlamaFixtures.MaxAbsDiff(before, after) > 1e-3);
    }

    [Fact]
    public void MergeKeepsOutputAndUnmergeRestoresBaseWeights()
    {
        using var _ = no_grad();
        using var m = LlamaFixtures.RandomTiny();
        using var baseQ = m.model.layers[0].self_attn.q_proj.weight.clone();
        Lora.Apply(m, new LoraConfig());
        RandomizeB(m);
        using var adapted = m.forward(tensor(Ids).unsqueeze(0));
        Lora.Merge(m);
        Assert.True(m.model.layers[0].self_attn.q_proj.IsMerged);
        using var merged = m.forward(tensor(Ids).unsqueeze(0));
        Assert.True(LlamaFixtures.MaxAbsDiff(adapted, merged) < 1e-5);
        Assert.True(LlamaFixtures.MaxAbsDiff(baseQ, m.model.layers[0].self_attn.q_proj.weight) > 1e-3);
        Lora.Unmerge(m);
        Assert.True(LlamaFixtures.MaxAbsDiff(baseQ, m.model.layers[0].self_attn.q_proj.weight) < 1e-6);
    }

    [Fact]
    public void SavedAdapterLoadsIntoAFreshModel()
    {
        var dir = Directory.CreateTempSubdirectory("vw-lora-").FullName;
        try
        {
            var config = new LoraConfig { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "k_proj", "v_proj", "o_proj"] };
            using var m = LlamaFixtures.RandomTiny();
            Lora.Apply(m, config);
            RandomizeB(m);
            Lora.Save(m, config, dir);
            using var fresh = LlamaFixtures.RandomTiny(); // same seed: same base weights
            var read = Lora.Load(fresh, dir);
            Assert.Equal(config.TargetModules, read.TargetModules);
            Assert.Equal(4, fresh.model.layers[1].self_attn.o_proj.Rank);
            using var _ = no_grad();
            Assert.True(LlamaFixtures.MaxAbsDiff(m.forward(tensor(Ids).unsqueeze(0)), fresh.forward(tensor(Ids).unsqueeze(0))) == 0);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void AdapterForOtherTargetsIsRejected()
    {
        var dir = Directory.CreateTempSubdirectory("vw-lora-").FullName;
        try
        {
            using var m = LlamaFixtures.RandomTiny();
            Lora.Apply(m, new LoraConfig());
            Lora.Save(m, new LoraConfig(), dir);
            using var other = LlamaFixtures.RandomTiny();
            Lora.Apply(other, new LoraConfig { TargetModules = ["k_proj"] });
            var e = Assert.Throws<BadInputException>(() => Lora.Load(other, dir));
            Assert.Contains("q_proj.lora_A.weight", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void OnlyAdaptersReceiveGradients()
    {
        using var m = LlamaFixtures.RandomTiny();
        Lora.Apply(m, new LoraConfig { Dropout = 0.0 });
        Lora.TrainOnlyAdapters(m);
        m.train();
        RandomizeB(m);
        using var logits = m.forward(tensor(Ids).unsqueeze(0));
        using var loss = nn.functional.cross_entropy(logits.squeeze(0).narrow(0, 0, Ids.Length - 1), tensor(Ids[1..]));
        loss.backward();
        foreach (var (name, p) in m.named_parameters())
        {
            bool isAdapter = name.Contains("lora_");
            Assert.Equal(isAdapter, p.requires_grad);
            if (isAdapter) Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0, name);
        }
    }

    [Fact]
    public void UnknownTargetIsABadInput()
    {
        using var m = LlamaFixtures.RandomTiny();
        var e = Assert.Throws<BadInputException>(() => Lora.Apply(m, new LoraConfig { TargetModules = ["qkv"] }));
        Assert.Contains("qkv", e.Message);
    }
}
