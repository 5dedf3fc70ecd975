namespace VisualWords.Language;

/// <summary>Well-known added tokens of the referring-segmentation model.</summary>
public static class SpecialTokens
{
    /// <summary>The answer token whose last hidden state prompts SAM's mask decoder.</summary>
    public const string Seg = "[SEG]";
    /// <summary>Placeholder the packer replaces by the image's visual tokens (never embedded itself).</summary>
    public const string Image = "<image>";
    public const string ImageStart = "<im_start>";
    public const string ImageEnd = "<im_end>";
}

/// <summary>
/// Text ↔ token ids with added special tokens. Special tokens are matched in the text before the
/// base vocabulary sees it; each stretch of plain text between them is encoded on its own (as the
/// slow Hugging Face LLaMA tokenizer and LLaVA's image-token splitting do). A special token added
/// with <c>stripWhitespace</c> swallows whitespace on both sides (HF's default for <c>add_tokens</c>,
/// which is how LISA adds [SEG]).
/// </summary>
public abstract class TextTokenizer
{
    readonly List<(string Token, int Id, bool Strip)> _special = new();

    /// <summary>Size of the vocabulary before any added token.</summary>
    public abstract int BaseVocabSize { get; }
    /// <summary>Base vocabulary plus added tokens: the embedding rows the model needs.</summary>
    public int VocabSize => BaseVocabSize + _special.Count;
    public abstract int BosId { get; }
    public abstract int EosId { get; }
    /// <summary>Id used in padded positions (never attended to, never a label).</summary>
    public abstract int PadId { get; }

    /// <summary>Ids of a plain-text stretch (no special tokens inside, no BOS).</summary>
    protected abstract IReadOnlyList<int> EncodePlain(string text);
    /// <summary>Text of base-vocabulary ids.</summary>
    protected abstract string DecodePlain(IReadOnlyList<int> ids);

    /// <summary>Adds a token at the next free id (or returns the id it already has).</summary>
    public int AddSpecialToken(string token, bool stripWhitespace = false)
    {
        if (string.IsNullOrEmpty(token)) throw new BadInputException("a special token cannot be empty");
        var known = _special.FindIndex(s => s.Token == token);
        if (known >= 0) return _special[known].Id;
        int id = VocabSize;
        _special.Add((token, id, stripWhitespace));
        return id;
    }

    /// <summary>Adds [SEG] (stripping, as LISA) and &lt;image&gt;, plus &lt;im_start&gt;/&lt;im_end&gt; when asked; returns nothing, ids via <see cref="IdOf"/>.</summary>
    public void AddSegmentationTokens(bool imageStartEnd = false)
    {
        AddSpecialToken(SpecialTokens.Seg, stripWhitespace: true);
        AddSpecialToken(SpecialTokens.Image);
        if (imageStartEnd) { AddSpecialToken(SpecialTokens.ImageStart); AddSpecialToken(SpecialTokens.ImageEnd); }
    }

    public IReadOnlyList<string> AddedTokens => _special.Select(s => s.Token).ToList();

    public int? TryIdOf(string specialToken) => _special.FindIndex(s => s.Token == specialToken) is var i and >= 0 ? _special[i].Id : null;

    public int IdOf(string specialToken) => TryIdOf(specialToken)
        ?? throw new BadInputException($"the tokenizer has no special token '{specialToken}' (add it first)");

    /// <summary>Words of <paramref name="text"/> outside the vocabulary (a closed-vocabulary tokenizer maps them to &lt;unk&gt;); none for subword tokenizers.</summary>
    public virtual IReadOnlyList<string> UnknownWords(string text) => [];

    /// <summary>Token ids of <paramref name="text"/>, with BOS first when <paramref name="addBos"/>.</summary>
    public IReadOnlyList<int> Encode(string text, bool addBos = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        if (addBos) ids.Add(BosId);
        var parts = Split(text);
        for (int i = 0; i < parts.Count; i++)
        {
            var (piece, special) = parts[i];
            if (special is { } s) { ids.Add(s.Id); continue; }
            if (i > 0 && parts[i - 1].Special is { Strip: true }) piece = piece.TrimStart();
            if (i + 1 < parts.Count && parts[i + 1].Special is { Strip: true }) piece = piece.TrimEnd();
            if (piece.Length > 0) ids.AddRange(EncodePlain(piece));
        }
        return ids;
    }

    /// <summary>
    /// Text of <paramref name="ids"/>; BOS/EOS/padding are dropped, special tokens written as
    /// themselves and separated from the text around them by one space (HF's default).
    /// </summary>
    public string Decode(IEnumerable<int> ids)
    {
        var pieces = new List<string>();
        var run = new List<int>();
        void Flush() { if (run.Count > 0) { pieces.Add(DecodePlain(run)); run.Clear(); } }
        foreach (var id in ids)
        {
            if (id == BosId || id == EosId || id == PadId) continue;
            if (id < 0 || id >= VocabSize) throw new BadInputException($"token id {id} is outside the vocabulary [0, {VocabSize})");
            if (id < BaseVocabSize) { run.Add(id); continue; }
            Flush();
            pieces.Add(_special[id - BaseVocabSize].Token);
        }
        Flush();
        return string.Join(" ", pieces);
    }

    List<(string Text, (string Token, int Id, bool Strip)? Special)> Split(string text)
    {
        var parts = new List<(string, (string, int, bool)?)>();
        int start = 0, pos = 0;
        while (pos < text.Length)
        {
            // longest special token starting here
            (string Token, int Id, bool Strip)? hit = null;
            foreach (var s in _special)
                if (string.CompareOrdinal(text, pos, s.Token, 0, s.Token.Length) == 0 && (hit is null || s.Token.Length > hit.Value.Token.Length))
                    hit = s;
            if (hit is null) { pos++; continue; }
            if (pos > start) parts.Add((text[start..pos], null));
            parts.Add((hit.Value.Token, hit));
            pos += hit.Value.Token.Length;
            start = pos;
        }
        if (start < text.Length) parts.Add((text[start..], null));
        return parts;
    }
}
