using TorchSharp.Modules;
using VisualWords.Imaging;
using VisualWords.Language;
using VisualWords.Projectors;
using VisualWords.Sam;
using VisualWords.Superpixels;
using VisualWords.Vision;
using static TorchSharp.torch;

namespace VisualWords.Segmenter;

/// <summary>
/// The referring segmenter (LISA's wiring with a semantic visual projector):
/// <code>
///   image ─► frozen SAM image encoder ─► embedding ─┬─► everything mode ─► semantic superpixels (visual words)
///                                                    └─► mask decoder ◄── [SEG] prompt (+ grounded words' mask)
///   image ─► vision tower ─► patch features ─► projector(words) ─► one visual token per word
///   prompt with &lt;image&gt; ─► LLM (visual tokens packed in) ─► "Sure, it is [SEG]." + hidden states
///   [SEG] + question states · visual-word states ─► grounding: which words the expression means
/// </code>
/// The path is written once: <see cref="Encode"/> (per image), <see cref="VisualTokens"/>,
/// <see cref="Conversation"/> (the prompt), <see cref="Hidden"/>, and <see cref="DecodeSeg"/> /
/// <see cref="FinalMasks"/> (from [SEG] states to masks). Training (<see cref="Forward"/>,
/// teacher-forced) and <see cref="ImageSession"/> (KV-cached generation) call the same pieces.
/// Submodule names follow LISA (<c>visual_model</c>, <c>text_hidden_fcs</c>) so its checkpoints map
/// by a few prefix rules (see LisaCheckpoint).
/// </summary>
public sealed class VisualWordsModel : nn.Module
{
    public readonly SamModel visual_model;
    public readonly VisionTower vision_tower;
    public readonly VisualProjector projector;
    public readonly LlamaForCausalLM llm;
    public readonly ModuleList<Sequential> text_hidden_fcs;
    public readonly VisualWordGrounding? grounding;
    /// <summary>
    /// The frozen prompt encoder + mask decoder that everything mode uses when the [SEG] decoder
    /// (visual_model's) is fine-tuned: the visual words must stay those of the SAM the model was
    /// built on, at training and at inference alike.
    /// </summary>
    public readonly SamModel? words_sam;

    public VisualWordsConfig Config { get; }
    public TextTokenizer Tokenizer { get; }
    public int SegTokenId { get; }
    /// <summary>The visual words' source, built once on <see cref="visual_model"/>.</summary>
    public ISuperpixelizer Superpixelizer { get; }

    /// <param name="initializeLlm">False skips the LLM's random init (its weights are about to be loaded; minutes at 7B).</param>
    public VisualWordsModel(VisualWordsConfig config, TextTokenizer tokenizer, bool initializeLlm = true) : base(nameof(VisualWordsModel))
    {
        config.Validate();
        Config = config;
        Tokenizer = tokenizer;
        SegTokenId = tokenizer.TryIdOf(SpecialTokens.Seg)
            ?? throw new BadInputException("the tokenizer has no [SEG] token; call AddSegmentationTokens() first");
        var sam = config.SamConfig;
        visual_model = new SamModel(sam);
        vision_tower = config.VisionConfig.Create();
        vision_tower.GridSize(config.VisionSize, config.VisionSize); // the tower must tile the chosen size
        var llmConfig = config.LlmConfig(EmbeddingRows(config, tokenizer));
        var llmDtype = config.LlmDtype == LlmDtype.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
        llm = new LlamaForCausalLM(llmConfig, dtype: llmDtype, initialize: initializeLlm);
        var projectorConfig = config.ProjectorConfig(llmConfig.HiddenSize);
        if (config.VisionResize == VisionResizeMode.Crop && projectorConfig is SemanticProjectorConfig)
            throw new BadInputException("model config: vision_resize 'crop' hides image borders from the tower, so the semantic projector's label maps would not line up; use 'stretch'");
        projector = projectorConfig.Create();
        text_hidden_fcs = TextHiddenFcs.Create(llmConfig.HiddenSize, sam.PromptEmbedDim);
        if (config.Grounding)
            grounding = new VisualWordGrounding(llmConfig.HiddenSize,
                projectorConfig is SemanticProjectorConfig { UseSspe: true } sp ? SuperpixelGeometry.Width(sp.ShapeGrid, sp.SspeColour) : 0);
        if (config.Superpixels.Kind == "semantic" && config.TrainMaskDecoder) words_sam = new SamModel(sam, withImageEncoder: false);
        RegisterComponents();
        Superpixelizer = config.Superpixels.Create(words_sam ?? visual_model);
    }

    public int LlmWidth => llm.Config.HiddenSize;

    /// <summary>Where the model's weights are (per-image inputs are moved there by <see cref="Encode"/>).</summary>
    public Device Device => visual_model.Device;

    /// <summary>The tokenizer's size, or one less when the config says the last id, &lt;image&gt;, has no row.</summary>
    static int EmbeddingRows(VisualWordsConfig config, TextTokenizer tokenizer)
    {
        int full = tokenizer.VocabSize;
        if (config.LlmVocabSize is not int rows || rows == full) return full;
        if (rows == full - 1 && tokenizer.TryIdOf(SpecialTokens.Image) == full - 1) return rows;
        throw new BadInputException(
            $"model config: llm_vocab_size {rows} does not fit the tokenizer ({full} ids; only the last one, <image>, may lack a row)");
    }

    // ── per image ──────────────────────────────────────────────────────────────────────────────

    /// <summary>SAM's input for an image: resized (longest side), 3 x h x w floats 0..255, and the (h, w) before padding.</summary>
    public (Tensor Pixels, (int H, int W) InputSize) SamInput(RgbImage image)
    {
        var resized = ResizeLongestSide.ApplyImage(image, visual_model.Config.ImageSize);
        return (ImageTensors.ToFloatCHW(resized), (resized.Height, resized.Width));
    }

    /// <summary>SAM image embedding 1 x C x h x w of SAM input pixels (3 x h x w); the encoder is frozen.</summary>
    public Tensor SamEmbedding(Tensor samPixels)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = visual_model.Preprocess(samPixels.dim() == 3 ? samPixels.unsqueeze(0) : samPixels);
        return scope.MoveToOuter(visual_model.EncodeImage(x));
    }

    /// <summary>An image's SAM embedding (1 x C x h x w, on the model's device) and SAM's input size for it (before padding).</summary>
    public (Tensor Embedding, (int H, int W) InputSize) EmbedImage(RgbImage image)
    {
        using var scope = NewDisposeScope();
        var (pixels, inputSize) = SamInput(image);
        return (scope.MoveToOuter(SamEmbedding(pixels.to(Device))), inputSize);
    }

    /// <summary>The vision tower's view of an image (<see cref="VisualWordsConfig.VisionResize"/>), 3 x S x S floats 0..255.</summary>
    public Tensor VisionInput(RgbImage image)
    {
        int s = Config.VisionSize;
        var resized = image.Width == s && image.Height == s ? image
            : Config.VisionResize == VisionResizeMode.Crop ? PilResample.ShortestSideCenterCrop(image, s)
            : PilBilinear.Resize(image, s, s);
        return ImageTensors.ToFloatCHW(resized);
    }

    /// <summary>
    /// All per-image work that needs no gradients, done once: SAM embedding, visual words (everything
    /// mode on that embedding), label map, region colours, tower pixels. The caller owns the result.
    /// <paramref name="words"/>: this model's visual words of the image computed before (a
    /// <see cref="VisualWordsCache"/>); everything mode is then skipped.
    /// </summary>
    public ImageInputs Encode(RgbImage image, SuperpixelPartition? words = null)
    {
        if (words is not null && (words.Height != image.Height || words.Width != image.Width))
            throw new BadInputException($"cached visual words are {words.Width}x{words.Height}, the image is {image.Width}x{image.Height}");
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (embedding, inputSize) = EmbedImage(image);
        double encoderMs = clock.Elapsed.TotalMilliseconds;
        var partition = words ?? Superpixelizer.Partition(image, embedding);
        var labels = partition.LabelTensor().to(Device);
        using var hwc = ImageTensors.ToTensorHWC(image).to(Device);
        var inputs = new ImageInputs
        {
            SamEmbedding = embedding,
            InputSize = inputSize,
            OriginalSize = (image.Height, image.Width),
            Partition = partition,
            Labels = labels,
            RegionColours = SuperpixelGeometry.MeanColours(labels, hwc, partition.Regions.Count),
            VisionPixels = VisionInput(image).to(Device),
            EncoderMilliseconds = encoderMs,
            WordsMilliseconds = clock.Elapsed.TotalMilliseconds - encoderMs,
        };
        return inputs.Detached();
    }

    /// <summary>Vision tower features B x (h·w) x C: cached ones where every image has them, else computed.</summary>
    public Tensor VisionFeatures(IReadOnlyList<ImageInputs> images)
    {
        if (images.All(i => i.VisionFeatures is not null)) return stack(images.Select(i => i.VisionFeatures!).ToArray());
        using var scope = NewDisposeScope();
        var pixels = stack(images.Select(i => i.VisionPixels).ToArray());
        return scope.MoveToOuter(vision_tower.forward(vision_tower.Normalize(pixels)));
    }

    /// <summary>Visual tokens for a batch of images (one per visual word with the semantic projector).</summary>
    public VisualTokens VisualTokens(IReadOnlyList<ImageInputs> images)
    {
        using var scope = NewDisposeScope();
        var features = VisionFeatures(images);
        var (gh, gw) = vision_tower.GridSize(Config.VisionSize, Config.VisionSize);
        var tokens = projector.forward(new ProjectorInput(features, gh, gw,
            images.Select(i => i.Labels).ToList(), images.Select(i => i.RegionColours).ToList()));
        scope.MoveToOuter(tokens.Tokens, tokens.Mask);
        if (tokens.Descriptors is not null) scope.MoveToOuter(tokens.Descriptors);
        return tokens;
    }

    /// <summary>The real visual tokens of a batch, N x D in row-major (image, token) order.</summary>
    public static Tensor FlattenTokens(VisualTokens tokens)
    {
        using var scope = NewDisposeScope();
        var d = tokens.Tokens.shape[2];
        var index = tokens.Mask.flatten().nonzero().squeeze(1);
        return scope.MoveToOuter(tokens.Tokens.reshape(-1, d).index_select(0, index));
    }

    // ── language ───────────────────────────────────────────────────────────────────────────────

    /// <summary>The one prompt builder: LLaVA v1's conversation asking for the expression's mask; with the answer when teacher-forcing.</summary>
    public ConversationSample Conversation(string expression, int visualTokens, bool withAnswer) =>
        new(ConversationTemplate.LlavaV1.Prompt(ReferringConversation.Question(expression, Config.ImageStartEnd)),
            withAnswer ? ReferringConversation.AnswerText : null, [visualTokens]);

    /// <summary>LLM hidden states B x T x C of a packed batch whose visual slots take <paramref name="visual"/>.</summary>
    public Tensor Hidden(PackedBatch batch, VisualTokens visual, KvCache? cache = null)
    {
        using var scope = NewDisposeScope();
        var embeds = MultimodalPacker.Embed(llm, batch, FlattenTokens(visual));
        return scope.MoveToOuter(llm.Hidden(embeds, batch.RealTokens, cache));
    }

    /// <summary>
    /// What grounding reads of a packed batch's hidden states (B x T x C): the states at each row's
    /// visual tokens (zero-padded to the batch's most words), the visual tokens, and the states
    /// of the question — the positions from the image's end to the answer's start.
    /// </summary>
    public static GroundingInputs GroundingInputs(Tensor hidden, PackedBatch packed, VisualTokens visual)
    {
        using var scope = NewDisposeScope();
        long b = hidden.shape[0];
        int q = Enumerable.Range(0, (int)b).Max(i => packed.AnswerStart[i] - packed.ImageEnd[i]);
        var questions = new Tensor[b];
        var mask = zeros(b, q, device: hidden.device);
        for (int i = 0; i < b; i++)
        {
            int len = packed.AnswerStart[i] - packed.ImageEnd[i];
            questions[i] = nn.functional.pad(hidden[i].narrow(0, packed.ImageEnd[i], len), [0, 0, 0, q - len]);
            mask[i, ..len] = 1;
        }
        var g = new GroundingInputs(WordStates(hidden, packed, visual), visual.Tokens, stack(questions), mask, visual.Descriptors);
        scope.MoveToOuter(g.WordStates, g.Question, g.QuestionMask);
        return g;
    }

    /// <summary>
    /// The LLM output states at each row's visual words, B x N x C, zero-padded to the batch's most
    /// words. <paramref name="hidden"/> may stop at the image's end (a session's cached prefix):
    /// every visual position lies before it.
    /// </summary>
    public static Tensor WordStates(Tensor hidden, PackedBatch packed, VisualTokens visual)
    {
        using var scope = NewDisposeScope();
        long b = hidden.shape[0], n = visual.Tokens.shape[1], c = hidden.shape[2];
        var rows = new Tensor[b];
        for (int i = 0; i < b; i++)
        {
            var positions = packed.VisualMask[i].nonzero().squeeze(1).to(hidden.device);
            var states = hidden[i].index_select(0, positions);
            rows[i] = nn.functional.pad(states, [0, 0, 0, n - states.shape[0]]);
        }
        return scope.MoveToOuter(stack(rows).reshape(b, n, c));
    }

    // ── from [SEG] to masks ────────────────────────────────────────────────────────────────────

    /// <summary>
    /// Each region's mask in SAM's padded input frame at the decoder's low resolution, R x L x L
    /// (fractions 0..1; the regions of a partition sum to 1 inside the image).
    /// </summary>
    public Tensor RegionMasksLowRes(ImageInputs image)
    {
        using var scope = NewDisposeScope();
        var sam = visual_model.Config;
        var oneHot = nn.functional.one_hot(image.Labels, image.Regions).permute(2, 0, 1).unsqueeze(0).to(ScalarType.Float32);
        var m = nn.functional.interpolate(oneHot, [image.InputSize.H, image.InputSize.W], mode: InterpolationMode.Nearest);
        m = nn.functional.pad(m, [0, sam.ImageSize - image.InputSize.W, 0, sam.ImageSize - image.InputSize.H]);
        m = nn.functional.interpolate(m, [sam.LowResMaskSize, sam.LowResMaskSize], mode: InterpolationMode.Area);
        return scope.MoveToOuter(m.squeeze(0));
    }

    /// <summary>
    /// From [SEG] states (B x C, one per row; row i belongs to <paramref name="images"/>[i]) and, with
    /// grounding, what it reads (<see cref="Segmenter.GroundingInputs"/>) to low-res mask logits B x L x L and word scores.
    /// The grounded words' soft mask enters SAM's mask decoder as its dense prompt, next to the
    /// projected [SEG] as a sparse prompt.
    /// </summary>
    public SegDecoding DecodeSeg(IReadOnlyList<ImageInputs> images, Tensor segHidden, GroundingInputs? groundingInputs)
    {
        using var scope = NewDisposeScope();
        Tensor? scores = null, wordsMask = null, maskInput = null;
        if (grounding is not null)
        {
            if (groundingInputs is null) throw new ArgumentException("a grounding model needs the grounding inputs");
            scores = grounding.forward(segHidden, groundingInputs);
            var probs = sigmoid(scores.detach());
            wordsMask = stack(images.Select((img, i) =>
                (WordWeights(scores[i, ..img.Regions], probs[i, ..img.Regions]).reshape(-1, 1, 1) * RegionMasksLowRes(img)).sum(dim: 0)).ToArray());
            maskInput = ((wordsMask * 2 - 1) * 10).unsqueeze(1);       // a confident low-res logit map, as SAM's own mask inputs are
        }
        var masks = DecodeMasks(cat(images.Select(i => i.SamEmbedding).ToArray()), segHidden, maskInput);
        var result = new SegDecoding(masks.squeeze(1), scores, wordsMask);
        scope.MoveToOuter(result.MaskLogits);
        if (scores is not null) scope.MoveToOuter(scores, wordsMask!);
        return result;
    }

    /// <summary>Each real word's weight in the dense prompt (see <see cref="VisualWordsConfig.GroundingPrompt"/>): its
    /// sigmoid score, and with "chosen" 1 for the words <see cref="VisualWordGrounding.Choose"/> picks.</summary>
    Tensor WordWeights(Tensor scores, Tensor probs)
    {
        if (Config.GroundingPrompt == GroundingPromptMode.Soft) return probs;
        var chosen = VisualWordGrounding.Choose(scores.detach().cpu().contiguous().data<float>().ToArray()).Select(w => (long)w).ToArray();
        return probs.index_fill(0, tensor(chosen, device: probs.device), 1.0);
    }

    /// <summary>
    /// SAM's mask decoder prompted by K [SEG] states (K x C) — the projected state as a sparse prompt,
    /// and an optional K x 1 x L x L mask-logit map as the dense prompt — on image embeddings
    /// (1 or K) x C' x h x w. Returns mask logits K x 1 x L x L in SAM's padded input frame.
    /// </summary>
    public Tensor DecodeMasks(Tensor samEmbeddings, Tensor segHidden, Tensor? maskInput = null)
    {
        using var scope = NewDisposeScope();
        var pe = visual_model.PromptEncoder;
        var prompt = text_hidden_fcs[0].forward(segHidden.to_type(ScalarType.Float32)).unsqueeze(1); // the LLM may run in bf16
        var (sparse, dense) = pe.forward(null, null, maskInput, prompt);
        var (masks, _) = visual_model.MaskDecoder.forward(samEmbeddings, pe.GetDensePe(), sparse, dense, multimaskOutput: false);
        return scope.MoveToOuter(masks);
    }

    /// <summary>Mask logits at the original image size (K x H x W) from <see cref="DecodeMasks"/>'s output.</summary>
    public Tensor Postprocess(Tensor lowRes, (int H, int W) inputSize, (int H, int W) originalSize)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(visual_model.PostprocessMasks(lowRes, inputSize, originalSize).squeeze(1));
    }

    /// <summary>
    /// The answer's masks at the original image size (bool H x W per row), following
    /// <see cref="VisualWordsConfig.MaskFrom"/>: the mask decoder's output, or the union of the
    /// grounded words. Also returns the chosen words per row (empty without grounding).
    /// </summary>
    public (Tensor[] Masks, IReadOnlyList<int>[] Words) FinalMasks(IReadOnlyList<ImageInputs> images, SegDecoding decoded, MaskSource? maskFrom = null)
    {
        using var scope = NewDisposeScope();
        var from = maskFrom ?? Config.MaskFrom;
        var masks = new Tensor[images.Count];
        var words = new IReadOnlyList<int>[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            var img = images[i];
            words[i] = decoded.WordScores is { } s
                ? VisualWordGrounding.Choose(s[i, ..img.Regions].cpu().contiguous().data<float>().ToArray())
                : [];
            if (from == MaskSource.Words && decoded.WordScores is not null)
                masks[i] = img.Labels.unsqueeze(-1).eq(tensor(words[i].Select(w => (long)w).ToArray(), device: img.Labels.device)).any(-1);
            else
                masks[i] = Postprocess(decoded.MaskLogits[i].unsqueeze(0).unsqueeze(0), img.InputSize, img.OriginalSize)[0] > 0;
        }
        scope.MoveToOuter(masks);
        return (masks, words);
    }

    /// <summary>
    /// The teacher-forced forward of a batch (training and validation): one expression per image,
    /// the answer "Sure, it is [SEG].", LLM logits for the language loss and the [SEG] decoding.
    /// </summary>
    public ReferringForward Forward(IReadOnlyList<ImageInputs> images, IReadOnlyList<string> expressions)
    {
        using var scope = NewDisposeScope();
        var visual = VisualTokens(images);
        var packed = MultimodalPacker.Pack(Tokenizer,
            expressions.Select((e, i) => Conversation(e, (int)visual.Lengths[i], withAnswer: true)).ToList());
        var hidden = Hidden(packed, visual);
        var logits = llm.Logits(hidden);
        var seg = new Tensor[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            var pos = packed.SegHiddenPositions[i];
            if (pos.Count != 1) throw new InvalidOperationException($"expected one [SEG] in the answer, found {pos.Count}");
            seg[i] = hidden[i, pos[0]];
        }
        var decoded = DecodeSeg(images, stack(seg), grounding is null ? null : GroundingInputs(hidden, packed, visual));
        scope.MoveToOuter(logits, decoded.MaskLogits);
        if (decoded.WordScores is not null) scope.MoveToOuter(decoded.WordScores, decoded.WordsMask!);
        scope.Detach(packed.InputIds, packed.VisualMask, packed.RealTokens, packed.Labels, packed.PositionIds);
        return new ReferringForward(logits, packed, decoded);
    }

    /// <summary>Copies visual_model's prompt encoder and mask decoder into <see cref="words_sam"/> (after loading a SAM to start from).</summary>
    public void CopySamIntoWordsSam()
    {
        if (words_sam is null) return;
        using var _ = no_grad();
        var source = visual_model.state_dict();
        foreach (var (name, p) in words_sam.state_dict()) p.copy_(source[name]);
    }

    /// <summary>
    /// Marks what trains. SAM's image encoder (and everything mode's decoder) is always frozen (the visual words and the cached
    /// embeddings must not drift while training); the mask decoder, prompt encoder, text_hidden_fcs,
    /// grounding and projector train; the LLM fully or through LoRA; the tower per config.
    /// </summary>
    public List<Parameter> SetTrainable()
    {
        foreach (var p in parameters()) p.requires_grad = true;
        foreach (var p in visual_model.ImageEncoder.parameters()) p.requires_grad = false;
        if (words_sam is not null)
            foreach (var p in words_sam.parameters()) p.requires_grad = false;
        if (!Config.TrainMaskDecoder)
            foreach (var p in visual_model.MaskDecoder.parameters().Concat(visual_model.PromptEncoder.parameters())) p.requires_grad = false;
        if (!Config.TrainVisionTower)
            foreach (var p in vision_tower.parameters()) p.requires_grad = false;
        if (Config.LoraRank > 0)
        {
            Lora.Apply(llm, new LoraConfig { Rank = Config.LoraRank, Alpha = 2 * Config.LoraRank });
            Lora.TrainOnlyAdapters(llm);
            // New-token rows need training too; with LoRA we keep embeddings and lm_head trainable.
            llm.model.embed_tokens.weight.requires_grad = true;
            llm.lm_head.weight.requires_grad = true;
        }
        return parameters().Where(p => p.requires_grad).ToList();
    }

    /// <summary>Training mode for what trains; the frozen SAM encoder (TinyViT's BatchNorm) and a frozen tower stay in eval mode.</summary>
    public void TrainMode()
    {
        train();
        visual_model.ImageEncoder.eval();
        words_sam?.eval();
        if (!Config.TrainVisionTower) vision_tower.eval();
    }
}

/// <summary>Low-res mask logits B x L x L; with grounding, word scores B x N (logits) and the grounded words' soft mask B x L x L.</summary>
public sealed record SegDecoding(Tensor MaskLogits, Tensor? WordScores, Tensor? WordsMask);

/// <summary>The teacher-forced forward: LLM logits B x T x V, the packed batch (caller disposes), and the [SEG] decoding.</summary>
public sealed record ReferringForward(Tensor Logits, PackedBatch Packed, SegDecoding Decoded);
