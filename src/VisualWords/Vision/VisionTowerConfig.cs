namespace VisualWords.Vision;

/// <summary>Shared facts of a ViT vision tower; the records below add what differs per family.</summary>
public abstract record VisionTowerConfig(
    int ImageSize, int PatchSize, int HiddenSize, int Layers, int Heads, int IntermediateSize, int FeatureLayer)
{
    /// <summary>Patches per side at the native image size (336/14 = 24 for CLIP-L/336).</summary>
    public int NativeGrid => ImageSize / PatchSize;
    public abstract float[] PixelMean { get; }
    public abstract float[] PixelStd { get; }
    public abstract VisionTower Create(TorchSharp.torch.Device? device = null);
}

/// <summary>
/// HF CLIPVisionConfig subset. FeatureLayer = -2: LLaVA and LISA take the second-to-last layer's
/// patch tokens (mm_vision_select_layer = -2, CLS dropped).
/// </summary>
public sealed record ClipVisionConfig(
    int ImageSize, int PatchSize, int HiddenSize, int Layers, int Heads, int IntermediateSize,
    int FeatureLayer = -2, double LayerNormEps = 1e-5)
    : VisionTowerConfig(ImageSize, PatchSize, HiddenSize, Layers, Heads, IntermediateSize, FeatureLayer)
{
    // OpenAI's CLIP preprocessing constants.
    public override float[] PixelMean => [0.48145466f, 0.4578275f, 0.40821073f];
    public override float[] PixelStd => [0.26862954f, 0.26130258f, 0.27577711f];
    public override VisionTower Create(TorchSharp.torch.Device? device = null) => new ClipVisionModel(this, device);
}

/// <summary>
/// HF Dinov2Config subset. FeatureLayer = -1 with FinalNorm: the official x_norm_patchtokens.
/// InterpolateOffset = 0.1 is DINOv2's work-around when resizing the position grid.
/// </summary>
public sealed record Dinov2Config(
    int ImageSize, int PatchSize, int HiddenSize, int Layers, int Heads, int IntermediateSize,
    int Registers = 0, int FeatureLayer = -1, bool FinalNorm = true,
    double LayerNormEps = 1e-6, double InterpolateOffset = 0.1)
    : VisionTowerConfig(ImageSize, PatchSize, HiddenSize, Layers, Heads, IntermediateSize, FeatureLayer)
{
    // ImageNet constants, as DINOv2's transforms use.
    public override float[] PixelMean => [0.485f, 0.456f, 0.406f];
    public override float[] PixelStd => [0.229f, 0.224f, 0.225f];
    public override VisionTower Create(TorchSharp.torch.Device? device = null) => new Dinov2Model(this, device);
}
