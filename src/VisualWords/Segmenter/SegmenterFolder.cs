using VisualWords.Checkpoints;
using VisualWords.Language;

namespace VisualWords.Segmenter;

/// <summary>
/// A trained segmenter on disk: <c>visualwords.json</c> (architecture), the tokenizer
/// (<c>tokenizer.json</c> word list or <c>tokenizer.model</c> SentencePiece) and
/// <c>model.safetensors</c> (every parameter and buffer, loaded strictly).
/// </summary>
public static class SegmenterFolder
{
    public const string ConfigFile = "visualwords.json";
    public const string WordTokenizerFile = "tokenizer.json";
    public const string SentencePieceFile = "tokenizer.model";
    public const string WeightsFile = "model.safetensors";

    /// <summary>Loads a model folder; <paramref name="configOverrides"/> replaces top-level keys of its
    /// visualwords.json (e.g. the training switches when fine-tuning) — the weights must still load strictly.</summary>
    public static VisualWordsModel Load(string dir, System.Text.Json.JsonElement? configOverrides = null)
    {
        if (!Directory.Exists(dir)) throw new BadInputException($"model folder not found: {dir}");
        var config = VisualWordsConfig.Load(Path.Combine(dir, ConfigFile), configOverrides);
        var tokenizer = LoadTokenizer(config, dir);
        var model = new VisualWordsModel(config, tokenizer);
        try
        {
            using var sd = Checkpoint.Load(Path.Combine(dir, WeightsFile));
            StateDictLoader.LoadInto(model, sd);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return model;
    }

    static TextTokenizer LoadTokenizer(VisualWordsConfig config, string dir)
    {
        TextTokenizer t = config.Tokenizer switch
        {
            TokenizerKind.Word => WordTokenizer.Load(Path.Combine(dir, WordTokenizerFile)),
            TokenizerKind.SentencePiece => LlamaTextTokenizer.Load(Path.Combine(dir, SentencePieceFile)),
            _ => throw new BadInputException($"{ConfigFile}: unknown tokenizer '{config.Tokenizer}' (word or sentencepiece)"),
        };
        t.AddSegmentationTokens(config.ImageStartEnd);
        return t;
    }

    /// <summary>Everything but the weights: the architecture and the tokenizer.</summary>
    public static void WriteDescription(VisualWordsModel model, string dir)
    {
        File.WriteAllText(Path.Combine(dir, ConfigFile), model.Config.ToJson());
        switch (model.Tokenizer)
        {
            case WordTokenizer w: w.Save(Path.Combine(dir, WordTokenizerFile)); break;
            default: throw new BadInputException("only word-tokenizer models can be saved by this version (SentencePiece models keep their tokenizer.model)");
        }
    }

    /// <summary>Writes the folder atomically: a temp folder renamed into place.</summary>
    public static void Save(VisualWordsModel model, string dir)
    {
        var full = Path.GetFullPath(dir);
        var tmp = full.TrimEnd('/') + $".tmp-{Environment.ProcessId}";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        Directory.CreateDirectory(tmp);
        WriteDescription(model, tmp);
        Checkpoint.SaveSafetensors(Path.Combine(tmp, WeightsFile), model.state_dict());
        var old = full.TrimEnd('/') + ".old";
        if (Directory.Exists(old)) Directory.Delete(old, true);
        if (Directory.Exists(full)) Directory.Move(full, old);
        Directory.Move(tmp, full);
        if (Directory.Exists(old)) Directory.Delete(old, true);
    }
}
