using TorchSharp.Modules;
using VisualWords.Imaging;
using VisualWords.Language;
using VisualWords.Projectors;
using VisualWords.Sam;
using VisualWords.Vision;
using static TorchSharp.torch;

namespace VisualWords.Segmenter;

/// <summary>
/// The referring segmenter (LISA's wiring with a semantic visual projector):
/// <code>
///   image ─► SAM image encoder ─► embedding ─┬─► everything mode ─► semantic superpixels (label map)
///                                             └─► mask decoder ◄── [SEG] prompt ◄── text_hidden_fcs
///   image ─► vision tower ─► patch features ─► projector(label map) ─► visual tokens
///   prompt with &lt;image&gt; ─► LLM (visual tokens packed in) ─► "Sure, it is [SEG]." + hidden states
/// </code>
/// Submodule names follow LISA (<c>visual_model</c>, <c>text_hidden_fcs</c>) so its checkpoints map
/// by a few prefix rules (see LisaCheckpoint). Superpixels are computed outside (they
/// need no gradients) and passed in as label maps.
/// </summary>
public sealed class VisualWordsModel : nn.Module
{
    public readonly SamModel visual_model;
    public readonly VisionTower vision_tower;
    public readonly VisualProjector projector;
    public readonly LlamaForCausalLM llm;
    public readonly ModuleList<Sequential> text_hidden_fcs;

    public VisualWordsConfig Config { get; }
    public TextTokenizer Tokenizer { get; }
    public int SegTokenId { get; }

    public VisualWordsModel(VisualWordsConfig config, TextTokenizer tokenizer) : base(nameof(VisualWordsModel))
    {
        Config = config;
        Tokenizer = tokenizer;
        SegTokenId = tokenizer.TryIdOf(SpecialTokens.Seg)
            ?? throw new BadInputException("the tokenizer has no [SEG] token; call AddSegmentationTokens() first");
        var sam = config.SamConfig;
        visual_model = new SamModel(sam);
        vision_tower = config.VisionConfig.Create();
        vision_tower.GridSize(config.VisionSize, config.VisionSize); // the tower must tile the chosen size
        var llmConfig = config.LlmConfig(EmbeddingRows(config, tokenizer));
        llm = new LlamaForCausalLM(llmConfig);
        var projectorConfig = config.ProjectorConfig(llmConfig.HiddenSize);
        if (config.VisionResize is not ("stretch" or "crop"))
            throw new BadInputException($"model config: vision_resize '{config.VisionResize}' is not stretch or crop");
        if (config.VisionResize == "crop" && projectorConfig is SemanticProjectorConfig)
            throw new BadInputException("model config: vision_resize 'crop' hides image borders from the tower, so the semantic projector's label maps would not line up; use 'stretch'");
        projector = projectorConfig.Create();
        text_hidden_fcs = TextHiddenFcs.Create(llmConfig.HiddenSize, sam.PromptEmbedDim);
        RegisterComponents();
    }

    public int LlmWidth => llm.Config.HiddenSize;

    /// <summary>The tokenizer's size, or one less when the config says the last id, &lt;image&gt;, has no row.</summary>
    static int EmbeddingRows(VisualWordsConfig config, TextTokenizer tokenizer)
    {
        int full = tokenizer.VocabSize;
        if (config.LlmVocabSize is not int rows || rows == full) return full;
        if (rows == full - 1 && tokenizer.TryIdOf(SpecialTokens.Image) == full - 1) return rows;
        throw new BadInputException(
            $"model config: llm_vocab_size {rows} does not fit the tokenizer ({full} ids; only the last one, <image>, may lack a row)");
    }

    /// <summary>SAM's input for an image: resized (longest side), 3 x h x w floats 0..255, and the (h, w) before padding.</summary>
    public (Tensor Pixels, (int H, int W) InputSize) SamInput(RgbImage image)
    {
        var resized = ResizeLongestSide.ApplyImage(image, visual_model.Config.ImageSize);
        return (ImageTensors.ToFloatCHW(resized), (resized.Height, resized.Width));
    }

    /// <summary>SAM image embedding 1 x C x h x w (no gradients unless the encoder trains).</summary>
    public Tensor SamEmbedding(Tensor samPixels)
    {
        using var scope = NewDisposeScope();
        using var grad = Config.TrainSamEncoder ? null : no_grad();
        var x = visual_model.Preprocess(samPixels.dim() == 3 ? samPixels.unsqueeze(0) : samPixels);
        return scope.MoveToOuter(visual_model.ImageEncoder.forward(x));
    }

    /// <summary>The vision tower's view of an image (<see cref="VisualWordsConfig.VisionResize"/>), 3 x S x S floats 0..255.</summary>
    public Tensor VisionInput(RgbImage image)
    {
        int s = Config.VisionSize;
        var resized = image.Width == s && image.Height == s ? image
            : Config.VisionResize == "crop" ? PilResample.ShortestSideCenterCrop(image, s)
            : PilBilinear.Resize(image, s, s);
        return ImageTensors.ToFloatCHW(resized);
    }

    /// <summary>Visual tokens for a batch: pixels B x 3 x S x S (0..255), one label map per image.</summary>
    public VisualTokens VisualTokens(Tensor visionPixels, IReadOnlyList<Tensor> labelMaps)
    {
        using var scope = NewDisposeScope();
        var features = vision_tower.forward(vision_tower.Normalize(visionPixels));
        var (gh, gw) = vision_tower.GridSize(visionPixels.shape[2], visionPixels.shape[3]);
        var tokens = projector.forward(new ProjectorInput(features, gh, gw, labelMaps));
        scope.MoveToOuter(tokens.Tokens, tokens.Mask);
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

    /// <summary>LLM hidden states B x T x C of a packed batch whose visual slots take <paramref name="visual"/>.</summary>
    public Tensor Hidden(PackedBatch batch, VisualTokens visual, KvCache? cache = null)
    {
        using var scope = NewDisposeScope();
        var embeds = MultimodalPacker.Embed(llm, batch, FlattenTokens(visual));
        return scope.MoveToOuter(llm.Hidden(embeds, batch.RealTokens, cache));
    }

    /// <summary>
    /// Mask logits K x 1 x 4h x 4w in SAM's padded input frame for K [SEG] hidden states (K x C) on
    /// one image embedding (1 x C' x h x w): the projected [SEG] enters as an extra sparse prompt.
    /// </summary>
    public Tensor DecodeMasks(Tensor samEmbedding, Tensor segHidden)
    {
        using var scope = NewDisposeScope();
        var prompt = text_hidden_fcs[0].forward(segHidden).unsqueeze(1);
        var pe = visual_model.PromptEncoder;
        var (sparse, dense) = pe.forward(null, null, null, prompt);
        var (masks, _) = visual_model.MaskDecoder.forward(samEmbedding, pe.GetDensePe(), sparse, dense, multimaskOutput: false);
        return scope.MoveToOuter(masks);
    }

    /// <summary>Mask logits at the original image size (K x H x W) from <see cref="DecodeMasks"/>'s output.</summary>
    public Tensor Postprocess(Tensor lowRes, (int H, int W) inputSize, (int H, int W) originalSize)
    {
        using var scope = NewDisposeScope();
        var m = visual_model.PostprocessMasks(lowRes, inputSize, originalSize);
        return scope.MoveToOuter(m.squeeze(1));
    }

    /// <summary>
    /// Marks what trains, as LISA does: SAM's image encoder frozen, mask decoder and prompt encoder
    /// trainable, text_hidden_fcs and projector trainable, the LLM fully or through LoRA, the vision
    /// tower per config. Returns the trainable parameters.
    /// </summary>
    public List<Parameter> SetTrainable()
    {
        foreach (var p in parameters()) p.requires_grad = true;
        if (!Config.TrainSamEncoder)
            foreach (var p in visual_model.ImageEncoder.parameters()) p.requires_grad = false;
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
}
