using TorchSharp;
using VisualWords.Checkpoints;
using static TorchSharp.torch;

namespace VisualWords.Sam;

/// <summary>
/// Segment Anything: image encoder + prompt encoder + mask decoder, with SAM's pre- and
/// post-processing. Parameter names equal the official checkpoints' keys
/// (image_encoder.*, prompt_encoder.*, mask_decoder.*). Use <see cref="SamPredictor"/> for inference.
/// </summary>
public sealed class SamModel : nn.Module
{
    readonly nn.Module<Tensor, Tensor>? image_encoder;
    readonly PromptEncoder prompt_encoder;
    readonly MaskDecoder mask_decoder;

    public SamModelConfig Config { get; }
    public nn.Module<Tensor, Tensor> ImageEncoder => image_encoder
        ?? throw new InvalidOperationException($"this {Config.Name} holds only the prompt encoder and mask decoder; pass a precomputed image embedding");
    public PromptEncoder PromptEncoder => prompt_encoder;
    public MaskDecoder MaskDecoder => mask_decoder;

    /// <summary>Logits above this are mask pixels.</summary>
    public const float MaskThreshold = 0f;

    /// <summary>Builds the model with freshly initialised weights, in eval mode.</summary>
    /// <param name="withImageEncoder">
    /// False builds only the prompt encoder and mask decoder (for decoding prompts on embeddings
    /// another SAM computed, e.g. the referring model's frozen everything-mode decoder).
    /// </param>
    public SamModel(SamModelConfig config, bool withImageEncoder = true) : base(nameof(SamModel))
    {
        Config = config;
        image_encoder = !withImageEncoder ? null
            : config.Vit is { } vit ? new ImageEncoderViT(vit)
            : config.TinyVit is { } tiny ? new TinyViT(tiny)
            : throw new ArgumentException($"{config.Name}: no image encoder configured");
        prompt_encoder = new PromptEncoder(config.PromptEmbedDim, config.EmbeddingSize, config.ImageSize, config.MaskInChans);
        mask_decoder = new MaskDecoder(config.PromptEmbedDim,
            new TwoWayTransformer(config.DecoderDepth, config.PromptEmbedDim, config.DecoderHeads, config.DecoderMlpDim,
                config.AttentionDownsampleRate),
            config.NumMultimaskOutputs, config.IouHeadDepth, config.IouHeadHiddenDim);
        register_buffer("pixel_mean", torch.tensor(SamModelConfig.PixelMean).view(-1, 1, 1), persistent: false);
        register_buffer("pixel_std", torch.tensor(SamModelConfig.PixelStd).view(-1, 1, 1), persistent: false);
        RegisterComponents();
        eval();
    }

    /// <summary>
    /// Builds the model and loads a checkpoint in strict mode: an official SAM / MobileSAM file
    /// (.pth / .pt) or a safetensors file with the same keys.
    /// </summary>
    public static SamModel FromCheckpoint(SamModelConfig config, string path)
    {
        var model = new SamModel(config);
        try
        {
            using var sd = Checkpoint.Load(path);
            var report = StateDictLoader.LoadInto(model, sd, new LoadOptions { Strict = false });
            if (!report.IsClean)
            {
                static string First(IReadOnlyList<string> xs) => xs.Count == 0 ? "0" : $"{xs.Count} (e.g. {string.Join(", ", xs.Take(3))})";
                throw new BadInputException($"{Path.GetFileName(path)} does not fit SAM model type '{config.Name}': " +
                    $"missing {First(report.Missing)}; unexpected {First(report.Unexpected)}; wrong shape {First(report.ShapeMismatches)}. " +
                    "Check --model-type.");
            }
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public Device Device => get_buffer("pixel_mean")!.device;

    /// <summary>The dtype the image encoder computes in (<see cref="SetEncoderDtype"/>); float32 by default.</summary>
    public ScalarType EncoderDtype { get; private set; } = ScalarType.Float32;

    /// <summary>
    /// Runs the image encoder in float32 (the official numerics) or bfloat16: on CPUs with AVX512-BF16
    /// its matmuls go through oneDNN's bf16 kernels (which accumulate in float32), about twice the
    /// float32 GEMM speed. Casts the encoder's weights; the embedding <see cref="EncodeImage"/> returns
    /// stays float32, so the prompt encoder, the mask decoder and everything mode are unchanged.
    /// The bf16 error against the official float32 output is measured in docs/benchmarks.md.
    /// </summary>
    public void SetEncoderDtype(ScalarType dtype)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new BadInputException($"SAM's encoder runs in float32 or bfloat16, not {DTypes.ShortName(dtype)}");
        if (dtype == EncoderDtype) return;   // nothing to cast (and a decoder-only SAM has no encoder to cast)
        ImageEncoder.to(dtype);
        EncoderDtype = dtype;
    }

    /// <summary>The image embedding (B x C x h x w, float32) of preprocessed input (<see cref="Preprocess"/>), in <see cref="EncoderDtype"/>.</summary>
    public Tensor EncodeImage(Tensor input)
    {
        if (EncoderDtype == ScalarType.Float32) return ImageEncoder.forward(input);
        using var scope = torch.NewDisposeScope();
        return ImageEncoder.forward(input.to(EncoderDtype)).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Normalises with SAM's pixel mean/std and pads bottom/right to the square model input.
    /// </summary>
    /// <param name="image">B x 3 x h x w, values 0..255, already resized (longest side = ImageSize).</param>
    public Tensor Preprocess(Tensor image)
    {
        using var scope = torch.NewDisposeScope();
        var x = (image.to(ScalarType.Float32) - get_buffer("pixel_mean")!) / get_buffer("pixel_std")!;
        long h = x.shape[^2], w = x.shape[^1];
        int size = Config.ImageSize;
        if (h > size || w > size) throw new BadInputException($"image {w}x{h} is larger than the model input {size}x{size}; resize it first");
        x = nn.functional.pad(x, [0, size - w, 0, size - h]);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Upscales low-res mask logits to the model input, crops the padding and resizes to the
    /// original image (bilinear, align_corners false, as the official code).
    /// </summary>
    /// <param name="masks">B x C x 4h x 4w logits.</param>
    /// <param name="inputSize">(H, W) of the resized image before padding.</param>
    /// <param name="originalSize">(H, W) of the original image.</param>
    public Tensor PostprocessMasks(Tensor masks, (long H, long W) inputSize, (long H, long W) originalSize)
    {
        using var scope = torch.NewDisposeScope();
        int size = Config.ImageSize;
        var m = nn.functional.interpolate(masks, [size, size], mode: InterpolationMode.Bilinear, align_corners: false);
        m = m.slice(2, 0, inputSize.H, 1).slice(3, 0, inputSize.W, 1);
        m = nn.functional.interpolate(m, [originalSize.H, originalSize.W], mode: InterpolationMode.Bilinear, align_corners: false);
        return m.MoveToOuterDisposeScope();
    }
}
