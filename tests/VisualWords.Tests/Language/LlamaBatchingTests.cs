using VisualWords.Language;
using Xunit;
using static TorchSharp.torch;

namespace VisualWords.Tests.Language;

/// <summary>Padding, packing and KV-cache paths must give the same numbers as one plain sequence.</summary>
public class LlamaBatchingTests
{
    static readonly long[] A = [1, 4, 9, 16, 25, 36, 49];
    static readonly long[] B = [1, 3, 5, 7];

    static Tensor Single(LlamaForCausalLM m, long[] ids) => m.forward(tensor(ids).unsqueeze(0)).squeeze(0);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PaddedBatchEqualsSeparateSequences(bool leftPad)
    {
        using var _ = no_grad();
        using var m = LlamaFixtures.RandomTiny();
        int t = A.Length, pad = A.Length - B.Length;
        var rowB = leftPad ? Enumerable.Repeat(0L, pad).Concat(B).ToArray() : B.Concat(Enumerable.Repeat(0L, pad)).ToArray();
        var realB = rowB.Select((_, i) => leftPad ? i >= pad : i < B.Length).ToArray();
        using var ids = stack([tensor(A), tensor(rowB)]);
        using var real = stack([ones(t, dtype: ScalarType.Bool), tensor(realB)]);
        using var logits = m.Logits(m.Hidden(m.Embed(ids), real));
        Assert.True(LlamaFixtures.MaxAbsDiff(logits[0], Single(m, A)) < 1e-5);
        var bPart = logits[1].narrow(0, leftPad ? pad : 0, B.Length);
        Assert.True(LlamaFixtures.MaxAbsDiff(bPart, Single(m, B)) < 1e-5);
        Assert.False(logits.isnan().any().item<bool>(), "padding rows must not produce NaN");
    }

    [Fact]
    public void PackedRowEqualsSeparateSequences()
    {
        using var _ = no_grad();
        using var m = LlamaFixtures.RandomTiny();
        using var ids = tensor(A.Concat(B).ToArray()).unsqueeze(0);
        using var seg = tensor(A.Select(_ => 0L).Concat(B.Select(_ => 1L)).ToArray()).unsqueeze(0);
        using var logits = m.Logits(m.Hidden(m.Embed(ids), segmentIds: seg)).squeeze(0);
        Assert.True(LlamaFixtures.MaxAbsDiff(logits.narrow(0, 0, A.Length), Single(m, A)) < 1e-5);
        Assert.True(LlamaFixtures.MaxAbsDiff(logits.narrow(0, A.Length, B.Length), Single(m, B)) < 1e-5);
    }

    [Fact]
    public void PackedPositionIdsRestartPerSegment()
    {
        using var seg = tensor(new long[] { 0, 0, 0, 1, 1, 2, -1, -1 }).unsqueeze(0);
        using var pos = AttentionMasks.PackedPositionIds(seg);
        Assert.Equal(new long[] { 0, 1, 2, 0, 1, 0, 0, 0 }, pos.data<long>().ToArray());
        using var real = tensor(new[] { false, false, true, true, true }).unsqueeze(0);
        Assert.Equal(new long[] { 0, 0, 0, 1, 2 }, AttentionMasks.PositionIds(real).data<long>().ToArray());
    }

    [Fact]
    public void CacheContinuationInChunksEqualsFullPass()
    {
        using var _ = no_grad();
        using var m = LlamaFixtures.RandomTiny();
        using var full = Single(m, A);
        using var cache = new KvCache(m.Config.NumHiddenLayers);
        // prefix of 3, then a chunk of 3 (multi-token continuation needs a causal mask), then 1
        var parts = new[] { A[..3], A[3..6], A[6..] };
        var outs = parts.Select(p => m.Logits(m.Hidden(m.Embed(tensor(p).unsqueeze(0)), cache: cache)).squeeze(0)).ToList();
        Assert.Equal(A.Length, cache.Length);
        Assert.True(LlamaFixtures.MaxAbsDiff(cat(outs, 0), full) < 1e-5);
    }

    [Fact]
    public void ForkedCacheLeavesTheOriginalUntouched()
    {
        using var _ = no_grad();
        using var m = LlamaFixtures.RandomTiny();
        using var prefix = new KvCache(m.Config.NumHiddenLayers);
        m.Hidden(m.Embed(tensor(A[..4]).unsqueeze(0)), cache: prefix);
        using var f1 = prefix.Fork();
        using var f2 = prefix.Fork();
        using var y1 = m.Logits(m.Hidden(m.Embed(tensor(A[4..]).unsqueeze(0)), cache: f1));
        using var y2 = m.Logits(m.Hidden(m.Embed(tensor(A[4..]).unsqueeze(0)), cache: f2));
        Assert.Equal(4, prefix.Length);
        Assert.Equal(A.Length, f1.Length);
        Assert.True(LlamaFixtures.MaxAbsDiff(y1, y2) == 0);
        Assert.True(LlamaFixtures.MaxAbsDiff(y1.squeeze(0), Single(m, A).narrow(0, 4, A.Length - 4)) < 1e-5);
    }

    [Fact]
    public void BatchedGenerationWithLeftPaddingEqualsSingleRows()
    {
        using var m = LlamaFixtures.RandomTiny();
        var opts = new GenerationOptions { MaxNewTokens = 6 };
        var single = new[] { A, B }.Select(p => Generation.Generate(m, m.Embed(tensor(p).unsqueeze(0)), opts).Tokens[0]).ToArray();
        int pad = A.Length - B.Length;
        using var ids = stack([tensor(A), tensor(Enumerable.Repeat(0L, pad).Concat(B).ToArray())]);
        using var real = stack([ones(A.Length, dtype: ScalarType.Bool), tensor(A.Select((_, i) => i >= pad).ToArray())]);
        var batched = Generation.Generate(m, m.Embed(ids), opts, real).Tokens;
        Assert.Equal(single[0], batched[0]);
        Assert.Equal(single[1], batched[1]);
    }

    [Fact]
    public void StopTokenEndsTheRowAndIsKept()
    {
        using var m = LlamaFixtures.RandomTiny();
        var free = Generation.Generate(m, m.Embed(tensor(A).unsqueeze(0)), new GenerationOptions { MaxNewTokens = 5 }).Tokens[0];
        var stopped = Generation.Generate(m, m.Embed(tensor(A).unsqueeze(0)),
            new GenerationOptions { MaxNewTokens = 5, StopTokens = [free[1]] }).Tokens[0];
        int firstStop = free.ToList().IndexOf(free[1]);
        Assert.Equal(free.Take(firstStop + 1), stopped);
    }

    [Fact]
    public void TopPSamplingOnlyPicksFromTheNucleus()
    {
        // probabilities 0.5, 0.3, 0.15, 0.05: top-p 0.7 keeps the first two only
        using var logits = tensor(new[] { 0.5f, 0.3f, 0.15f, 0.05f }).log().unsqueeze(0).expand(2000, 4);
        using var rng = new Generator(3);
        using var picks = Generation.Pick(logits, new GenerationOptions { Temperature = 1.0, TopP = 0.7 }, rng);
        var counts = Enumerable.Range(0, 4).Select(i => picks.eq(i).sum().item<long>()).ToArray();
        Assert.Equal(0, counts[2] + counts[3]);
        Assert.InRange(counts[0] / 2000.0, 0.55, 0.70); // 0.5 / 0.8 renormalised = 0.625
        using var greedy = Generation.Pick(logits, new GenerationOptions());
        Assert.Equal(0, greedy.max().item<long>());
    }

    [Fact]
    public void SameSeedSamplesTheSameTokens()
    {
        using var m = LlamaFixtures.RandomTiny();
        var opts = new GenerationOptions { MaxNewTokens = 8, Temperature = 1.5, TopP = 0.9, Seed = 11 };
        var a = Generation.Generate(m, m.Embed(tensor(A).unsqueeze(0)), opts).Tokens[0];
        var b = Generation.Generate(m, m.Embed(tensor(A).unsqueeze(0)), opts).Tokens[0];
        Assert.Equal(a, b);
    }

    [Fact]
    public void OutOfVocabularyIdIsABadInput()
    {
        using var m = LlamaFixtures.RandomTiny();
        var e = Assert.Throws<BadInputException>(() => m.forward(tensor(new long[] { 1, 50 }).unsqueeze(0)));
        Assert.Contains("50", e.Message);
    }
}
