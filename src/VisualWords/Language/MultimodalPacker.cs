using static TorchSharp.torch;

namespace VisualWords.Language;

/// <summary>One conversation to pack: the prompt (ending where the answer starts), an optional answer, and per image its visual-token count.</summary>
/// <param name="Prompt">Template text up to <c>ASSISTANT:</c>, holding one &lt;image&gt; per image.</param>
/// <param name="Answer">Answer text (gets EOS appended and is the only labelled part), or null at inference.</param>
/// <param name="VisualTokenCounts">Visual tokens of each image, in order of the placeholders (varies per image).</param>
public sealed record ConversationSample(string Prompt, string? Answer, IReadOnlyList<int> VisualTokenCounts);

/// <summary>
/// A padded batch of packed sequences: text ids with every &lt;image&gt; replaced by its visual-token
/// slots. All per-row indices are measured in the packed sequence, so nothing depends on a fixed
/// number of image tokens.
/// </summary>
public sealed class PackedBatch : IDisposable
{
    public const long IgnoreIndex = -100;

    /// <summary><c>B x T</c> int64; visual slots and padding hold the pad id.</summary>
    public required Tensor InputIds { get; init; }
    /// <summary><c>B x T</c> bool: slots that take visual tokens.</summary>
    public required Tensor VisualMask { get; init; }
    /// <summary><c>B x T</c> bool: false on padding.</summary>
    public required Tensor RealTokens { get; init; }
    /// <summary><c>B x T</c> int64 next-token labels aligned with the inputs (HF convention, shifted in the loss); <see cref="IgnoreIndex"/> outside answers.</summary>
    public required Tensor Labels { get; init; }
    /// <summary><c>B x T</c> int64 RoPE positions counting real tokens only.</summary>
    public required Tensor PositionIds { get; init; }
    /// <summary>Per row, the packed index of every [SEG] token (empty at inference, where [SEG] is generated).</summary>
    public required IReadOnlyList<IReadOnlyList<int>> SegPositions { get; init; }
    /// <summary>Per row, the packed index one past the last visual token (the end of the image prefix).</summary>
    public required IReadOnlyList<int> ImageEnd { get; init; }
    /// <summary>Per row, the packed index where the answer starts (= the prompt length incl. visual slots).</summary>
    public required IReadOnlyList<int> AnswerStart { get; init; }
    /// <summary>Per row, the number of real tokens.</summary>
    public required IReadOnlyList<int> Lengths { get; init; }
    /// <summary>Per row, the first real column (non-zero only with left padding).</summary>
    public required IReadOnlyList<int> Offsets { get; init; }

    /// <summary>
    /// LISA reads the mask prompt from the hidden state that predicts [SEG], i.e. the position just
    /// before it (its <c>input_ids[:, 1:] == seg</c> shift); this gives those indices per row.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<int>> SegHiddenPositions => SegPositions.Select(r => (IReadOnlyList<int>)r.Select(SegHiddenPosition).ToList()).ToList();

    /// <summary>
    /// The one [SEG] rule, for teacher forcing and generation alike: the hidden state that prompts
    /// the mask decoder is the one that predicted [SEG], i.e. at the position before it (LISA's
    /// shifted <c>seg_token_mask</c>).
    /// </summary>
    public static int SegHiddenPosition(int segPosition) => segPosition - 1;

    public void Dispose()
    {
        InputIds.Dispose(); VisualMask.Dispose(); RealTokens.Dispose(); Labels.Dispose(); PositionIds.Dispose();
    }
}

/// <summary>Builds <see cref="PackedBatch"/>es from conversations and merges visual tokens into the text embeddings.</summary>
public static class MultimodalPacker
{
    /// <param name="leftPad">Pad on the left (generation: every row ends at the last column) instead of the right (training).</param>
    public static PackedBatch Pack(TextTokenizer tokenizer, IReadOnlyList<ConversationSample> samples, bool leftPad = false)
    {
        if (samples.Count == 0) throw new BadInputException("nothing to pack: no conversations");
        int imageId = tokenizer.IdOf(SpecialTokens.Image);
        int? segId = tokenizer.TryIdOf(SpecialTokens.Seg);
        var rows = new List<(List<long> Ids, List<bool> Visual, List<long> Labels, int ImageEnd, int AnswerStart)>();
        foreach (var (s, index) in samples.Select((s, i) => (s, i)))
        {
            var prompt = tokenizer.Encode(s.Prompt, addBos: true);
            int placeholders = prompt.Count(id => id == imageId);
            if (placeholders != s.VisualTokenCounts.Count)
                throw new BadInputException($"conversation {index}: {placeholders} <image> placeholders but {s.VisualTokenCounts.Count} images");
            if (s.VisualTokenCounts.Any(c => c <= 0))
                throw new BadInputException($"conversation {index}: every image needs at least one visual token");
            var ids = new List<long>(); var visual = new List<bool>(); var labels = new List<long>();
            int image = 0, imageEnd = 0;
            foreach (var id in prompt)
            {
                if (id == imageId)
                {
                    for (int k = 0; k < s.VisualTokenCounts[image]; k++) { ids.Add(tokenizer.PadId); visual.Add(true); labels.Add(PackedBatch.IgnoreIndex); }
                    image++;
                    imageEnd = ids.Count;
                    continue;
                }
                ids.Add(id); visual.Add(false); labels.Add(PackedBatch.IgnoreIndex);
            }
            int answerStart = ids.Count;
            if (s.Answer is not null)
            {
                // Encoded on its own: after the template's "ASSISTANT:" the answer's leading space is
                // SentencePiece's dummy prefix, so the ids equal those of the joined conversation.
                var answer = tokenizer.Encode(s.Answer, addBos: false).Append(tokenizer.EosId);
                foreach (var id in answer)
                {
                    if (id == imageId) throw new BadInputException($"conversation {index}: the answer contains <image>");
                    ids.Add(id); visual.Add(false); labels.Add(id);
                }
            }
            rows.Add((ids, visual, labels, imageEnd, answerStart));
        }

        int t = rows.Max(r => r.Ids.Count), b = rows.Count;
        var idArr = new long[b * t]; var visArr = new bool[b * t]; var realArr = new bool[b * t]; var labArr = new long[b * t];
        Array.Fill(idArr, tokenizer.PadId); Array.Fill(labArr, PackedBatch.IgnoreIndex);
        var offsets = new List<int>();
        for (int r = 0; r < b; r++)
        {
            var row = rows[r];
            int off = leftPad ? t - row.Ids.Count : 0;
            offsets.Add(off);
            for (int i = 0; i < row.Ids.Count; i++)
            {
                int j = r * t + off + i;
                idArr[j] = row.Ids[i]; visArr[j] = row.Visual[i]; realArr[j] = true; labArr[j] = row.Labels[i];
            }
        }
        var real = tensor(realArr, [b, t]);
        return new PackedBatch
        {
            InputIds = tensor(idArr, [b, t]),
            VisualMask = tensor(visArr, [b, t]),
            RealTokens = real,
            Labels = tensor(labArr, [b, t]),
            PositionIds = AttentionMasks.PositionIds(real),
            SegPositions = rows.Select((row, r) => (IReadOnlyList<int>)Enumerable.Range(0, row.Ids.Count)
                .Where(i => segId is int sid && row.Ids[i] == sid && !row.Visual[i]).Select(i => i + offsets[r]).ToList()).ToList(),
            ImageEnd = rows.Select((row, r) => row.ImageEnd + offsets[r]).ToList(),
            AnswerStart = rows.Select((row, r) => row.AnswerStart + offsets[r]).ToList(),
            Lengths = rows.Select(row => row.Ids.Count).ToList(),
            Offsets = offsets,
        };
    }

    /// <summary>
    /// Input embeddings <c>B x T x C</c>: the text embeddings with the visual slots filled, in row-major
    /// order, by <paramref name="visualTokens"/> (<c>N x C</c>, N = number of visual slots in the batch).
    /// Gradients flow into the visual tokens (the projector trains through this).
    /// </summary>
    public static Tensor Embed(LlamaForCausalLM model, PackedBatch batch, Tensor visualTokens)
    {
        using var scope = NewDisposeScope();
        long slots = batch.VisualMask.sum().item<long>();
        if (visualTokens.dim() != 2 || visualTokens.shape[0] != slots || visualTokens.shape[1] != model.Config.HiddenSize)
            throw new BadInputException($"visual tokens are [{string.Join(", ", visualTokens.shape)}] but the batch has {slots} visual slots of width {model.Config.HiddenSize}");
        var text = model.Embed(batch.InputIds.to(model.Device));
        var mask = batch.VisualMask.to(model.Device).unsqueeze(-1).expand_as(text);
        return scope.MoveToOuter(text.masked_scatter(mask, visualTokens.to_type(text.dtype)));
    }
}
