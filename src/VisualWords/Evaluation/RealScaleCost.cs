using System.Diagnostics;
using VisualWords.Checkpoints;
using VisualWords.Language;
using VisualWords.Sam;
using VisualWords.Sam.Amg;
using VisualWords.Vision;
using static TorchSharp.torch;

namespace VisualWords.Evaluation;

/// <summary>
/// The model sizes the per-query cost is measured at: an LLM (one decoder layer is timed and counted
/// <see cref="LlamaConfig.NumHiddenLayers"/> times), a vision tower and its input side, a SAM, and the
/// everything-mode grid the visual words use.
/// </summary>
public sealed record RealScaleDims(string Name, LlamaConfig Llm, string Tower, int TowerSide, SamModelConfig Sam, int WordsGrid)
{
    /// <summary>LISA-7B's parts: LLaMA-7B, CLIP ViT-L/14-336 (576 patches), SAM ViT-B; words from a 16 x 16 grid in fast mode.</summary>
    public static readonly RealScaleDims Real = new("LLaMA-7B / CLIP ViT-L/14-336 / SAM ViT-B",
        LlamaConfig.Llama2_7B, "clip-vit-large-patch14-336", 336, SamModelConfig.VitB, 16);

    /// <summary>Tiny stand-ins, for the quick budget's smoke test only.</summary>
    public static readonly RealScaleDims Tiny = new("tiny stand-ins (smoke test; numbers meaningless)",
        new LlamaConfig { HiddenSize = 64, IntermediateSize = 172, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 4 },
        "clip-shapes", 128, SamModelConfig.ShapesSam32, 4);
}

/// <summary>
/// What one referring query costs at real model sizes on this machine, for the patch MLP (one token
/// per tower patch) and for SVP (one token per semantic superpixel), every part timed in the same run
/// on random weights (speed does not depend on the values, except in everything mode: see
/// <see cref="EverythingModeMasks"/>). Both pipelines pay SAM's encoder (the [SEG] mask decoder
/// needs its embedding), the tower and the mask decoder; SVP adds everything mode and saves LLM prefill.
/// A second question on a cached image re-uses the image prefix's KV cache in both, so it prefills
/// only the question's tokens (<see cref="LlmQuestionMs"/>; the attention to the cached prefix,
/// under 3% of a 7B layer's FLOPs at these lengths, is left out).
/// </summary>
public sealed record RealScaleCost(
    string Dims, string LlmDtype, string LlmDtypeProbe, int LlmLayers, int PatchTokens, int TextTokens, int QuestionTokens,
    double SamEncoderMs, double TowerMs, double MaskDecoderMs,
    int EverythingModeGrid, double EverythingModeMs, int EverythingModePrompts, int EverythingModeMasks,
    double LlmPatchMs, IReadOnlyList<SvpTokenCost> Svp, double LlmQuestionMs)
{
    /// <summary>An image's first question with the patch MLP: SAM encoder + tower + LLM over patches and text + mask decoder.</summary>
    public double PatchFirstMs => SamEncoderMs + TowerMs + LlmPatchMs + MaskDecoderMs;

    /// <summary>An image's first question with SVP: the same plus everything mode, with the LLM over superpixels and text.</summary>
    public double SvpFirstMs(SvpTokenCost svp) => SamEncoderMs + EverythingModeMs + TowerMs + svp.LlmMs + MaskDecoderMs;

    /// <summary>A further question on a cached image, either projector: the question's tokens + mask decoder.</summary>
    public double CachedMs => LlmQuestionMs + MaskDecoderMs;

    /// <summary>The expression the prompt lengths are counted for (LLaVA v1 template, LLaMA tokenizer).</summary>
    public const string Expression = "the man in the red shirt on the left";

    /// <summary>
    /// The prompt's text tokens (BOS included, the image placeholder not) and those after the image,
    /// which a second question on a cached image prefills, counted with a LLaMA tokenizer.
    /// </summary>
    public static (int Text, int Question) PromptTokens(TextTokenizer tokenizer)
    {
        if (tokenizer.TryIdOf(SpecialTokens.Image) is null) tokenizer.AddSegmentationTokens();
        var ids = tokenizer.Encode(ConversationTemplate.LlavaV1.Prompt(ReferringConversation.Question(Expression))).ToList();
        int image = ids.IndexOf(tokenizer.IdOf(SpecialTokens.Image));
        if (image < 0) throw new InvalidOperationException("the referring prompt has no image placeholder");
        return (ids.Count - 1, ids.Count - 1 - image);
    }

    /// <summary>
    /// Times every part once after a warm-up (the LLM layer: the minimum of two runs per length).
    /// <paramref name="svpTokens"/>: visual tokens per image for SVP (each with where the count comes from); <paramref name="textTokens"/>: the
    /// prompt's text tokens (BOS included, the image placeholder not); <paramref name="questionTokens"/>:
    /// those after the image, which a cached second question prefills.
    /// </summary>
    public static RealScaleCost Measure(RealScaleDims dims, IReadOnlyList<(string Source, double Tokens)> svpTokens, int textTokens, int questionTokens, Action<string> say)
    {
        using var _ = no_grad();
        var sam = dims.Sam;
        manual_seed(0);

        say($"real scale: SAM {sam.Name} encoder at {sam.ImageSize} px");
        using var samModel = new SamModel(sam);
        samModel.eval();
        Tensor embedding;
        double encoderMs;
        using (var image = rand(1, 3, sam.ImageSize, sam.ImageSize).mul(255))
        using (var input = samModel.Preprocess(image))
        {
            samModel.EncodeImage(input).Dispose();             // warm-up
            var sw = Stopwatch.StartNew();
            embedding = samModel.EncodeImage(input);
            encoderMs = sw.Elapsed.TotalMilliseconds;
        }
        using var __ = embedding;

        say($"real scale: everything mode, {dims.WordsGrid} x {dims.WordsGrid} grid, fast mode");
        var config = new AutomaticMaskGeneratorConfig { PointsPerSide = dims.WordsGrid, Mode = AmgMode.Fast };
        var generator = new SamAutomaticMaskGenerator(samModel, config);
        var clock = Stopwatch.StartNew();
        var masks = generator.Generate(sam.ImageSize, sam.ImageSize, _ => embedding.clone());
        double everythingMs = clock.Elapsed.TotalMilliseconds;
        int prompts = (int)generator.LastTimings.Prompts;

        double decoderMs;
        using (var predictor = new SamPredictor(samModel))
        using (var point = tensor(new float[] { sam.ImageSize / 2f, sam.ImageSize / 2f }, [1, 1, 2]))
        using (var label = tensor(new long[] { 1 }, [1, 1]))
        {
            predictor.SetEmbedding(embedding, (sam.ImageSize, sam.ImageSize));
            predictor.PredictLowRes(point, label, null, null, false, null, out var warmIou).Dispose();
            warmIou.Dispose();
            var sw = Stopwatch.StartNew();
            predictor.PredictLowRes(point, label, null, null, false, null, out var iou).Dispose();
            decoderMs = sw.Elapsed.TotalMilliseconds;
            iou.Dispose();
        }

        say($"real scale: vision tower {dims.Tower} at {dims.TowerSide} px");
        double towerMs;
        int patches;
        using (var tower = VisionTowers.Get(dims.Tower).Create())
        using (var x = randn(1, 3, dims.TowerSide, dims.TowerSide))
        {
            tower.eval();
            using (var warm = tower.forward(x)) patches = (int)warm.shape[1];
            var sw = Stopwatch.StartNew();
            tower.forward(x).Dispose();
            towerMs = sw.Elapsed.TotalMilliseconds;
        }

        // The LLM runs in whichever of float32 and bfloat16 is faster on this CPU: bf16 GEMMs are 2-3x
        // faster than fp32 where the CPU has AVX512-BF16 (oneDNN), and several times slower where bf16 is emulated.
        var llm = dims.Llm;
        double Time(LlamaDecoderLayer layer, ScalarType dtype, int tokens, int runs) => LlamaLayerTiming.BestMs(layer, llm, dtype, tokens, runs);
        const int ProbeTokens = 128;
        var probe = new Dictionary<ScalarType, double>();
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            say($"real scale: which LLM dtype is faster here: one decoder layer in {DTypes.ShortName(dtype)} at {ProbeTokens} tokens");
            using var layer = new LlamaDecoderLayer(llm with { NumHiddenLayers = 1 }, null, dtype, initialize: true);
            layer.eval();
            probe[dtype] = Time(layer, dtype, ProbeTokens, 1);
        }
        var llmDtype = probe.MinBy(kv => kv.Value).Key;
        string probeText = string.Join(" and ", probe.Select(kv => $"{kv.Value.ToString("0", System.Globalization.CultureInfo.InvariantCulture)} ms in {DTypes.ShortName(kv.Key)}")) +
                           $" for one layer at {ProbeTokens} tokens";

        say($"real scale: one LLM decoder layer ({DTypes.ShortName(llmDtype)}) at {patches + textTokens} tokens, " +
            $"{string.Join(", ", svpTokens.Select(t => Math.Round(t.Tokens) + textTokens))} and {questionTokens}");
        double patchLayer, questionLayer;
        List<SvpTokenCost> svp;
        using (var layer = new LlamaDecoderLayer(llm with { NumHiddenLayers = 1 }, null, llmDtype, initialize: true))
        {
            layer.eval();
            patchLayer = Time(layer, llmDtype, patches + textTokens, 2);
            svp = svpTokens.Select(t => new SvpTokenCost(t.Source, t.Tokens, llm.NumHiddenLayers * Time(layer, llmDtype, Math.Max(1, (int)Math.Round(t.Tokens) + textTokens), 2))).ToList();
            questionLayer = Time(layer, llmDtype, Math.Max(1, questionTokens), 2);
        }
        int layers = llm.NumHiddenLayers;
        return new RealScaleCost(dims.Name, DTypes.ShortName(llmDtype), probeText, layers, patches, textTokens, questionTokens,
            encoderMs, towerMs, decoderMs, dims.WordsGrid, everythingMs, prompts, masks.Count,
            layers * patchLayer, svp, layers * questionLayer);
    }
}

/// <summary>SVP's LLM prefill (all layers) at one visual-token count, and where that count comes from.</summary>
public sealed record SvpTokenCost(string Source, double Tokens, double LlmMs);
