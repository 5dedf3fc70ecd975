using VisualWords.Language;
using Xunit;
using static TorchSharp.torch;

namespace VisualWords.Tests.Language;

public class ConversationTests
{
    const string LisaSystem = "A chat between a curious human and an artificial intelligence assistant. " +
                              "The assistant gives helpful, detailed, and polite answers to the human's questions.";

    static LlamaTextTokenizer LlamaTok()
    {
        var t = LlamaTextTokenizer.Load(Path.Combine(LlamaFixtures.Dir, "tokenizer.model"));
        t.AddSegmentationTokens();
        return t;
    }

    static WordTokenizer WordTok()
    {
        var t = WordTokenizer.FromCorpus([ConversationTemplate.LlavaV1.System, "user assistant what is the red cube left of blue ball in this image? please output segmentation mask. sure, it"]);
        t.AddSegmentationTokens();
        return t;
    }

    static ConversationSample Sample(string expr, int visual, bool withAnswer = true) =>
        new(ConversationTemplate.LlavaV1.Prompt(ReferringConversation.Question(expr)), withAnswer ? ReferringConversation.AnswerText : null, [visual]);

    [Fact]
    public void LlavaV1PromptIsLisasText()
    {
        var q = ReferringConversation.Question("the dog on the left");
        Assert.Equal("<image>\nWhat is the dog on the left in this image? Please output segmentation mask.", q);
        Assert.Equal($"{LisaSystem} USER: {q} ASSISTANT:", ConversationTemplate.LlavaV1.Prompt(q));
        Assert.Equal($"{LisaSystem} USER: {q} ASSISTANT: Sure, it is [SEG].</s>", ConversationTemplate.LlavaV1.Conversation(q, ReferringConversation.AnswerText));
        Assert.StartsWith("<im_start><image><im_end>\n", ReferringConversation.Question("x", imageStartEnd: true));
        Assert.Throws<BadInputException>(() => ReferringConversation.Question("  "));
    }

    [Fact]
    public void AnswerEncodedAloneEqualsTheJoinedConversation()
    {
        var t = LlamaTok();
        var prompt = ConversationTemplate.LlavaV1.Prompt(ReferringConversation.Question("the man in red"));
        var joined = t.Encode(prompt + " " + ReferringConversation.AnswerText);
        var parts = t.Encode(prompt).Concat(t.Encode(ReferringConversation.AnswerText, addBos: false));
        Assert.Equal(joined, parts);
    }

    [Fact]
    public void PackedSequencesPlaceVisualTokensLabelsAndSegByContent()
    {
        var t = LlamaTok();
        int seg = t.IdOf("[SEG]");
        using var b = MultimodalPacker.Pack(t, [Sample("the dog", 5), Sample("the man in the red shirt", 9)]);
        var ids = b.InputIds.data<long>().ToArray();
        var vis = b.VisualMask.data<bool>().ToArray();
        var lab = b.Labels.data<long>().ToArray();
        long width = b.InputIds.shape[1];
        var answer = t.Encode(ReferringConversation.AnswerText, addBos: false).Select(i => (long)i).Append(t.EosId).ToArray();
        for (int r = 0; r < 2; r++)
        {
            int visualCount = r == 0 ? 5 : 9, len = b.Lengths[r];
            var row = ids.Skip((int)(r * width)).Take(len).ToArray();
            var rowVis = vis.Skip((int)(r * width)).Take(len).ToArray();
            var rowLab = lab.Skip((int)(r * width)).Take(len).ToArray();
            Assert.Equal(visualCount, rowVis.Count(v => v));
            int firstVisual = Array.IndexOf(rowVis, true);
            Assert.Equal(b.ImageEnd[r], firstVisual + visualCount);               // contiguous block
            // text before the image is the template head, text after it the question up to "ASSISTANT:"
            Assert.Equal(t.Encode(LisaSystem + " USER: ").Select(i => (long)i), row[..firstVisual]);
            var question = ReferringConversation.Question(r == 0 ? "the dog" : "the man in the red shirt")["<image>".Length..];
            Assert.Equal(t.Encode(question + " ASSISTANT:", addBos: false).Select(i => (long)i), row[b.ImageEnd[r]..b.AnswerStart[r]]);
            Assert.Equal(answer, row[b.AnswerStart[r]..]);                          // the answer closes the row
            Assert.Equal(answer, rowLab.Where(l => l != PackedBatch.IgnoreIndex));  // only the answer is labelled
            Assert.All(rowLab[..b.AnswerStart[r]], l => Assert.Equal(PackedBatch.IgnoreIndex, l));
            Assert.Single(b.SegPositions[r]);
            Assert.Equal(seg, row[b.SegPositions[r][0]]);
            Assert.Equal(b.SegPositions[r][0] - 1, b.SegHiddenPositions[r][0]);
        }
        Assert.Equal(new long[] { 0, 1, 2 }, b.PositionIds[0].narrow(0, 0, 3).data<long>().ToArray());
    }

    [Fact]
    public void LeftPaddingShiftsEveryIndexByTheRowOffset()
    {
        var t = LlamaTok();
        using var right = MultimodalPacker.Pack(t, [Sample("the dog", 3), Sample("the dog", 11)]);
        using var left = MultimodalPacker.Pack(t, [Sample("the dog", 3), Sample("the dog", 11)], leftPad: true);
        Assert.Equal(8, left.Offsets[0]);
        Assert.Equal(right.SegPositions[0][0] + 8, left.SegPositions[0][0]);
        Assert.Equal(right.ImageEnd[0] + 8, left.ImageEnd[0]);
        Assert.False(left.RealTokens[0, 7].item<bool>());
        Assert.Equal(0L, left.PositionIds[0, 8].item<long>());
        Assert.Equal(right.InputIds[0].narrow(0, 0, right.Lengths[0]).data<long>().ToArray(), left.InputIds[0].narrow(0, 8, left.Lengths[0]).data<long>().ToArray());
    }

    [Fact]
    public void InferencePromptHasNoLabelsAndEndsAtTheAnswer()
    {
        var t = LlamaTok();
        using var b = MultimodalPacker.Pack(t, [Sample("the dog", 4, withAnswer: false)]);
        Assert.Equal(b.Lengths[0], b.AnswerStart[0]);
        Assert.Empty(b.SegPositions[0]);
        Assert.True(b.Labels.eq(PackedBatch.IgnoreIndex).all().item<bool>());
    }

    [Fact]
    public void VisualTokensFillTheirSlotsInOrderAndGetGradients()
    {
        var t = WordTok();
        using var m = LlamaFixtures.RandomTiny(config: new LlamaConfig
        {
            VocabSize = t.VocabSize, HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 1, NumAttentionHeads = 4, NumKeyValueHeads = 4,
        });
        using var b = MultimodalPacker.Pack(t, [Sample("the red cube", 2), Sample("the blue ball left of the red cube", 3)]);
        using var visual = randn(5, 32).requires_grad_();
        using var embeds = MultimodalPacker.Embed(m, b, visual);
        var idx = b.VisualMask.nonzero();
        for (int k = 0; k < 5; k++)
            Assert.True(LlamaFixtures.MaxAbsDiff(embeds[idx[k, 0].item<long>(), idx[k, 1].item<long>()], visual[k]) == 0);
        using var text = m.Embed(b.InputIds);
        Assert.True(LlamaFixtures.MaxAbsDiff(embeds[0, 0], text[0, 0]) == 0);
        using var h = m.Hidden(embeds, b.RealTokens);
        h.sum().backward();
        Assert.True(visual.grad is not null && visual.grad.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void WrongImageOrTokenCountsAreBadInput()
    {
        var t = LlamaTok();
        var prompt = ConversationTemplate.LlavaV1.Prompt(ReferringConversation.Question("x"));
        Assert.Contains("placeholders", Assert.Throws<BadInputException>(() => MultimodalPacker.Pack(t, [new ConversationSample(prompt, null, [3, 4])])).Message);
        Assert.Throws<BadInputException>(() => MultimodalPacker.Pack(t, [new ConversationSample(prompt, null, [0])]));
        Assert.Throws<BadInputException>(() => MultimodalPacker.Pack(t, []));
        using var m = LlamaFixtures.RandomTiny();
        using var b = MultimodalPacker.Pack(WordTok(), [Sample("the red cube", 2)]);
        Assert.Throws<BadInputException>(() => MultimodalPacker.Embed(m, b, zeros(3, 32)));
    }
}
