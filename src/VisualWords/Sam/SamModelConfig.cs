namespace VisualWords.Sam;

/// <summary>SAM's ViT image encoder (ViTDet-style: windowed blocks plus a few global ones).</summary>
/// <param name="ImgSize">Side of the square padded input.</param>
/// <param name="PatchSize">Patch side; the embedding grid is ImgSize / PatchSize.</param>
/// <param name="EmbedDim">Token width.</param>
/// <param name="Depth">Number of transformer blocks.</param>
/// <param name="NumHeads">Attention heads per block.</param>
/// <param name="MlpRatio">MLP hidden width / EmbedDim.</param>
/// <param name="OutChans">Channels of the neck's output (the prompt embedding width).</param>
/// <param name="WindowSize">Window side of the windowed blocks (0: all global).</param>
/// <param name="GlobalAttnIndexes">Blocks that attend over the whole grid.</param>
/// <param name="UseRelPos">Decomposed relative-position terms in attention.</param>
/// <param name="NormEps">Epsilon of the blocks' layer norms.</param>
public sealed record ImageEncoderViTConfig(
    int ImgSize, int PatchSize, int EmbedDim, int Depth, int NumHeads, IReadOnlyList<int> GlobalAttnIndexes,
    double MlpRatio = 4.0, int OutChans = 256, int WindowSize = 14, bool UseRelPos = true,
    bool UseAbsPos = true, bool QkvBias = true, int InChans = 3, double NormEps = 1e-6)
{
    public int GridSize => ImgSize / PatchSize;
}

/// <summary>MobileSAM's TinyViT encoder: an MBConv stage then three windowed-attention stages.</summary>
/// <param name="EmbedDims">Width of each of the four stages.</param>
/// <param name="Depths">Blocks per stage.</param>
/// <param name="NumHeads">Attention heads per stage (stage 0 is convolutional and ignores it).</param>
/// <param name="WindowSizes">Attention window side per stage.</param>
/// <param name="NumClasses">Width of the unused classifier head that the checkpoints still carry.</param>
/// <param name="NeckChans">Output channels (256 in MobileSAM; smaller only for test models).</param>
public sealed record TinyViTConfig(
    int ImgSize, IReadOnlyList<int> EmbedDims, IReadOnlyList<int> Depths, IReadOnlyList<int> NumHeads,
    IReadOnlyList<int> WindowSizes, double MlpRatio = 4.0, double MbconvExpandRatio = 4.0,
    int LocalConvSize = 3, int NumClasses = 1000, int NeckChans = 256, int InChans = 3)
{
    /// <summary>Resolution after the stride-4 patch embedding.</summary>
    public int PatchesResolution => ImgSize / 4;

    /// <summary>
    /// Input resolution of stage i. The last stage keeps stage 2's resolution because the patch
    /// merging in front of it does not downsample (see <see cref="MergeStride"/>).
    /// </summary>
    public int StageResolution(int i) => PatchesResolution >> (i == 3 ? i - 1 : i);

    /// <summary>
    /// MobileSAM keeps the 64 x 64 grid into the last stage by giving the patch merging stride 1
    /// when it produces one of TinyViT's last-stage widths (320, 448, 576); every other merge halves.
    /// </summary>
    public static int MergeStride(int outDim) => outDim is 320 or 448 or 576 ? 1 : 2;
}

/// <summary>
/// One SAM model: an image encoder (ViT or TinyViT), the prompt encoder and the mask decoder.
/// <see cref="Registry"/> lists every size; the official checkpoints load into these unchanged.
/// </summary>
public sealed record SamModelConfig(
    string Name,
    ImageEncoderViTConfig? Vit,
    TinyViTConfig? TinyVit,
    int PromptEmbedDim = 256,
    int MaskInChans = 16,
    int DecoderDepth = 2,
    int DecoderHeads = 8,
    int DecoderMlpDim = 2048,
    int NumMultimaskOutputs = 3,
    int IouHeadDepth = 3,
    int IouHeadHiddenDim = 256,
    int AttentionDownsampleRate = 2,
    int EmbeddingPatchSize = 16)
{
    public static readonly float[] PixelMean = [123.675f, 116.28f, 103.53f];
    public static readonly float[] PixelStd = [58.395f, 57.12f, 57.375f];

    /// <summary>Side of the square model input (the longest image side is resized to it).</summary>
    public int ImageSize => Vit?.ImgSize ?? TinyVit?.ImgSize ?? throw new InvalidOperationException($"{Name}: no image encoder");

    /// <summary>Side of the image embedding grid (64 for every official model).</summary>
    public int EmbeddingSize => ImageSize / EmbeddingPatchSize;

    /// <summary>Side of the low-resolution mask logits and of a mask input (4 x the embedding).</summary>
    public int LowResMaskSize => 4 * EmbeddingSize;

    static ImageEncoderViTConfig SamVit(int dim, int depth, int heads, int[] global) =>
        new(ImgSize: 1024, PatchSize: 16, EmbedDim: dim, Depth: depth, NumHeads: heads, GlobalAttnIndexes: global);

    public static readonly SamModelConfig VitB = new("vit_b", SamVit(768, 12, 12, [2, 5, 8, 11]), null);
    public static readonly SamModelConfig VitL = new("vit_l", SamVit(1024, 24, 16, [5, 11, 17, 23]), null);
    public static readonly SamModelConfig VitH = new("vit_h", SamVit(1280, 32, 16, [7, 15, 23, 31]), null);

    public static readonly SamModelConfig VitT = new("vit_t", null, new TinyViTConfig(
        ImgSize: 1024, EmbedDims: [64, 128, 160, 320], Depths: [2, 2, 6, 2], NumHeads: [2, 4, 5, 10],
        WindowSizes: [7, 7, 14, 7]));

    /// <summary>
    /// A small SAM with every mechanism of the real one (padding windows, one global block,
    /// relative positions, antialiased downscaling to 256): parity goldens and our own small model.
    /// </summary>
    public static readonly SamModelConfig VitTiny = new("vit_tiny",
        new ImageEncoderViTConfig(ImgSize: 256, PatchSize: 16, EmbedDim: 64, Depth: 2, NumHeads: 4,
            GlobalAttnIndexes: [1], OutChans: 64, WindowSize: 7),
        null, PromptEmbedDim: 64, DecoderHeads: 4, DecoderMlpDim: 128, IouHeadHiddenDim: 64);

    /// <summary>
    /// The SAM we train ourselves on ShapesWorld (configs/shapes-sam.json): 128 px input, 8 px
    /// patches so the embedding grid stays 16 x 16 (low-res masks 64 x 64), four global blocks —
    /// small enough to train on two CPU cores in minutes, since no pretrained SAM is available.
    /// </summary>
    public static readonly SamModelConfig ShapesSam = new("shapes_sam",
        new ImageEncoderViTConfig(ImgSize: 128, PatchSize: 8, EmbedDim: 128, Depth: 4, NumHeads: 4,
            GlobalAttnIndexes: [0, 1, 2, 3], OutChans: 64, WindowSize: 0),
        null, PromptEmbedDim: 64, DecoderHeads: 4, DecoderMlpDim: 256, IouHeadHiddenDim: 64, EmbeddingPatchSize: 8);

    /// <summary>
    /// The ShapesWorld SAM at a finer grid: 4 px patches give a 32 x 32 embedding (low-res masks at the
    /// full 128 px input), so a 10 px object covers several tokens; windowed (8 x 8) and global blocks alternate.
    /// </summary>
    public static readonly SamModelConfig ShapesSam32 = new("shapes_sam32",
        new ImageEncoderViTConfig(ImgSize: 128, PatchSize: 4, EmbedDim: 96, Depth: 4, NumHeads: 4,
            GlobalAttnIndexes: [1, 3], OutChans: 64, WindowSize: 8),
        null, PromptEmbedDim: 64, DecoderHeads: 4, DecoderMlpDim: 256, IouHeadHiddenDim: 64, EmbeddingPatchSize: 4);

    public static IReadOnlyDictionary<string, SamModelConfig> Registry { get; } =
        new[] { VitB, VitL, VitH, VitT, VitTiny, ShapesSam, ShapesSam32 }.ToDictionary(c => c.Name);

    /// <summary>Looks up a model type by name (vit_b, vit_l, vit_h, vit_t, vit_tiny, shapes_sam).</summary>
    public static SamModelConfig Get(string modelType) =>
        Registry.TryGetValue(modelType, out var c) ? c
        : throw new BadInputException($"unknown SAM model type '{modelType}': use one of {string.Join(", ", Registry.Keys)}");
}
