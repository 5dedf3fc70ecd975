using TorchSharp;
using VisualWords.Checkpoints;
using VisualWords.Imaging;
using VisualWords.Sam;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisualWords.Tests.Sam;

/// <summary>
/// SAM's image encoder in bfloat16 against the official float32 output on the same random weights
/// (the parity fixtures): the embedding within a relative tolerance set by bf16's 8-bit mantissa,
/// and the masks it leads to nearly the official ones. The speed and the full-size vit_b check are
/// in docs/benchmarks.md (bench), not here.
/// </summary>
public class SamBf16Tests(ITestOutputHelper output)
{
    /// <summary>
    /// Largest embedding error relative to the embedding's largest magnitude. bf16 keeps 8 significant
    /// bits (0.4% per rounding), and the rounding compounds over the layers: measured 0.0135 on vit_tiny
    /// and 0.0416 on TinyViT (its convolutions and BatchNorm also run in bf16), 2026-12-02.
    /// </summary>
    const double EmbeddingRelTol = 0.06;
    /// <summary>Lowest IoU between a bf16 mask and the official float32 mask of the same prompt (measured 0.9966 and 0.9922).</summary>
    const double MinMaskIoU = 0.95;

    [Theory]
    [InlineData("vit_tiny")]
    [InlineData("tinyvit_tiny")]
    public void Bf16_encoder_stays_close_to_the_official_float32_output(string which)
    {
        using var _ = torch.no_grad();
        var (config, pth, goldens) = which == "vit_tiny"
            ? (SamModelConfig.VitTiny, "sam_vit_tiny.pth", "sam_vit_tiny_golden.safetensors")
            : (SamGoldens.TinyVitTiny, "sam_tinyvit_tiny.pth", "sam_tinyvit_tiny_golden.safetensors");
        using var model = SamGoldens.LoadModel(config, pth);
        using var golden = Checkpoint.Load(SamGoldens.Path(goldens));
        model.SetEncoderDtype(ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, model.EncoderDtype);

        using var predictor = new SamPredictor(model);
        predictor.SetImage(ImageIO.Load(SamGoldens.Path("truck_360x240.png")));
        Assert.Equal(ScalarType.Float32, predictor.Embedding.dtype);
        double scale = golden["embedding"].abs().max().item<float>();
        double rel = SamGoldens.MaxAbsDiff(predictor.Embedding, golden["embedding"]) / scale;

        using var p = predictor.Predict([new SamPoint(200, 120, 1)], multimaskOutput: which == "vit_tiny");
        using var expected = SamGoldens.UnpackMask(golden["point.masks"], p.Masks.shape);
        var a = p.Masks.to(ScalarType.Bool).flatten(1);
        var b = expected.to(ScalarType.Bool).flatten(1);
        var iou = a.logical_and(b).sum(1).to(ScalarType.Float64) / a.logical_or(b).sum(1).to(ScalarType.Float64).clamp_min(1);
        double worst = iou.min().item<double>();
        output.WriteLine($"{which}: embedding max error {rel:F4} of its largest magnitude; worst mask IoU {worst:F4}");
        Assert.True(rel <= EmbeddingRelTol, $"{which}: embedding error {rel:F4} of its scale");
        Assert.True(worst >= MinMaskIoU, $"{which}: worst mask IoU {worst:F4}");
    }

    [Fact]
    public void Only_float32_and_bfloat16_are_offered()
    {
        using var model = SamGoldens.LoadModel(SamModelConfig.VitTiny, "sam_vit_tiny.pth");
        Assert.Throws<BadInputException>(() => model.SetEncoderDtype(ScalarType.Float16));
    }
}
