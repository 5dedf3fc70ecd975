namespace VisualWords.Language;

/// <summary>LLaMA / Vicuna SentencePiece tokenizer (tokenizer.model), ids as the reference SentencePiece library gives them.</summary>
public sealed class LlamaTextTokenizer : TextTokenizer
{
    readonly SentencePieceBpe _sp;

    LlamaTextTokenizer(SentencePieceBpe sp) { _sp = sp; }

    /// <summary>Reads a SentencePiece <c>tokenizer.model</c> (a file, or a HF folder holding one).</summary>
    public static LlamaTextTokenizer Load(string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, "tokenizer.model");
        if (!File.Exists(path)) throw new BadInputException($"tokenizer model not found: {path}");
        try { return new LlamaTextTokenizer(SentencePieceBpe.Load(File.ReadAllBytes(path))); }
        catch (BadInputException e) { throw new BadInputException($"{path}: {e.Message}", e); }
    }

    public override int BaseVocabSize => _sp.VocabSize;
    public override int BosId => _sp.BosId;
    public override int EosId => _sp.EosId;
    /// <summary>LLaMA has no pad token; like LLaVA we pad with &lt;unk&gt; (id 0).</summary>
    public override int PadId => _sp.UnkId;

    protected override IReadOnlyList<int> EncodePlain(string text) => _sp.Encode(text);

    protected override string DecodePlain(IReadOnlyList<int> ids) => _sp.Decode(ids);
}
