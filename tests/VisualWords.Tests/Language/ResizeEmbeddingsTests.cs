using VisualWords.Language;
using Xunit;
using static TorchSharp.torch;

namespace VisualWords.Tests.Language;

/// <summary>Adding [SEG] / &lt;image&gt; grows the embedding and lm_head rows without disturbing the old vocabulary.</summary>
public class ResizeEmbeddingsTests
{
    static readonly long[] Ids = [1, 4, 9, 16];

    [Fact]
    public void NewRowsStartAtTheMeanAndOldLogitsAreKept()
    {
        using var _ = no_grad();
        using var m = LlamaFixtures.RandomTiny();
        using var before = m.forward(tensor(Ids).unsqueeze(0));
        using var meanEmb = m.model.embed_tokens.weight.mean([0L]);
        m.ResizeTokenEmbeddings(54);
        Assert.Equal(54, m.Config.VocabSize);
        var sd = m.state_dict();
        Assert.Equal(new long[] { 54, 32 }, sd["model.embed_tokens.weight"].shape);
        Assert.Equal(new long[] { 54, 32 }, sd["lm_head.weight"].shape);
        Assert.True(LlamaFixtures.MaxAbsDiff(m.model.embed_tokens.weight[53], meanEmb) < 1e-6);
        using var after = m.forward(tensor(Ids.Append(53L).ToArray()).unsqueeze(0));
        Assert.True(LlamaFixtures.MaxAbsDiff(after.narrow(1, 0, Ids.Length).narrow(2, 0, 50), before) < 1e-6);
        Assert.Equal(54, after.shape[2]);
        Assert.Contains(m.parameters(), p => ReferenceEquals(p, m.model.embed_tokens.weight));
    }

    [Fact]
    public void TiedEmbeddingsStayTied()
    {
        using var m = LlamaFixtures.RandomTiny(config: new LlamaConfig
        {
            VocabSize = 50, HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 1, NumAttentionHeads = 4, NumKeyValueHeads = 4,
            TieWordEmbeddings = true,
        });
        Assert.Same(m.model.embed_tokens.weight, m.lm_head.weight);
        m.ResizeTokenEmbeddings(52);
        Assert.Same(m.model.embed_tokens.weight, m.lm_head.weight);
        Assert.Throws<BadInputException>(() => m.ResizeTokenEmbeddings(10));
    }

    [Fact]
    public void TokenizerWithSegTokensSizesTheModel()
    {
        var t = LlamaTextTokenizer.Load(Path.Combine(LlamaFixtures.Dir, "tokenizer.model"));
        t.AddSegmentationTokens(imageStartEnd: true);
        using var m = new LlamaForCausalLM(LlamaConfig.Llama2_7B, device: new Device(TorchSharp.DeviceType.META), initialize: false);
        m.ResizeTokenEmbeddings(t.VocabSize);
        Assert.Equal(new long[] { 32004, 4096 }, m.lm_head.weight.shape);
    }
}
