using Xunit;
using System.Text.Json;
using TorchSharp;
using VisualWords.Checkpoints;
using VisualWords.Imaging;
using VisualWords.Sam;
using static TorchSharp.torch;

namespace VisualWords.Tests.Sam;

/// <summary>
/// Our SAM against the official code on the same random weights (.pth written by the official
/// code) and the same photo: embedding, low-res logits and IoU within 1e-4, masks equal up to a
/// handful of pixels whose logit sits on the threshold.
/// </summary>
public class SamParityTests
{
    const float Tol = 1e-4f;
    const long MaxFlippedPixels = 5;

    static RgbImage Photo() => ImageIO.Load(SamGoldens.Path("truck_360x240.png"));

    static void AssertPrediction(StateDict golden, string name, SamPrediction p)
    {
        Assert.True(SamGoldens.MaxAbsDiff(p.LowResLogits, golden[name + ".low_res_logits"].reshape(p.LowResLogits.shape)) <= Tol, name + ": low-res logits");
        Assert.True(SamGoldens.MaxAbsDiff(p.IouPredictions, golden[name + ".iou"].reshape(p.IouPredictions.shape)) <= Tol, name + ": iou");
        using var expected = SamGoldens.UnpackMask(golden[name + ".masks"], p.Masks.shape);
        long flipped = SamGoldens.MaskMismatches(p.Masks, expected);
        Assert.True(flipped <= MaxFlippedPixels, $"{name}: {flipped} mask pixels differ");
    }

    /// <summary>A predictor with the fixture photo set; its embedding must match the official one.</summary>
    static SamPredictor EncodePhoto(SamModel model, StateDict golden)
    {
        var predictor = new SamPredictor(model);
        predictor.SetImage(Photo());
        Assert.True(SamGoldens.MaxAbsDiff(predictor.Embedding, golden["embedding"]) <= Tol, "embedding");
        return predictor;
    }

    [Fact]
    public void VitTiny_PredictorMatchesOfficial_AllPromptKinds()
    {
        using var _ = torch.no_grad();
        using var model = SamGoldens.LoadModel(SamModelConfig.VitTiny, "sam_vit_tiny.pth");
        using var golden = Checkpoint.Load(SamGoldens.Path("sam_vit_tiny_golden.safetensors"));
        using var predictor = EncodePhoto(model, golden);

        using var cases = JsonDocument.Parse(File.ReadAllText(SamGoldens.Path("sam_vit_tiny_cases.json")));
        var lowRes = new Dictionary<string, Tensor>();
        foreach (var c in cases.RootElement.GetProperty("cases").EnumerateArray())
        {
            string name = c.GetProperty("name").GetString()!;
            var points = new List<SamPoint>();
            if (c.TryGetProperty("points", out var pts))
            {
                var labels = c.GetProperty("labels").EnumerateArray().Select(l => l.GetInt32()).ToArray();
                int i = 0;
                foreach (var pt in pts.EnumerateArray())
                    points.Add(new SamPoint(pt[0].GetDouble(), pt[1].GetDouble(), labels[i++]));
            }
            SamBox? box = c.TryGetProperty("box", out var b)
                ? new SamBox(b[0].GetDouble(), b[1].GetDouble(), b[2].GetDouble(), b[3].GetDouble()) : null;
            Tensor? maskInput = c.TryGetProperty("mask_input_from", out var from) ? lowRes[from.GetString()!] : null;
            var p = predictor.Predict(points, box, maskInput, c.GetProperty("multimask").GetBoolean());
            lowRes[name] = p.LowResLogits;
            AssertPrediction(golden, name, p);
        }

        // Batched: three boxes at once through the tensor API, in the resized input frame.
        var boxes = cases.RootElement.GetProperty("batched_boxes").EnumerateArray().Select(bx =>
        {
            var (x0, y0) = ResizeLongestSide.ApplyCoords(bx[0].GetDouble(), bx[1].GetDouble(), predictor.OriginalSize, 256);
            var (x1, y1) = ResizeLongestSide.ApplyCoords(bx[2].GetDouble(), bx[3].GetDouble(), predictor.OriginalSize, 256);
            return new[] { (float)x0, (float)y0, (float)x1, (float)y1 };
        }).SelectMany(v => v).ToArray();
        using var batch = predictor.PredictTorch(null, null, torch.tensor(boxes, [3, 4]), multimaskOutput: true);
        AssertPrediction(golden, "batched_boxes", batch);
    }

    [Fact]
    public void VitTiny_SetEmbeddingReusesAnEmbedding()
    {
        using var _ = torch.no_grad();
        using var model = SamGoldens.LoadModel(SamModelConfig.VitTiny, "sam_vit_tiny.pth");
        using var golden = Checkpoint.Load(SamGoldens.Path("sam_vit_tiny_golden.safetensors"));
        using var predictor = new SamPredictor(model);
        predictor.SetEmbedding(golden["embedding"], (240, 360));
        using var p = predictor.Predict([new SamPoint(200, 120, 1)], multimaskOutput: true);
        AssertPrediction(golden, "point", p);
        Assert.Throws<BadInputException>(() => predictor.SetEmbedding(torch.zeros(1, 32, 16, 16), (240, 360)));
    }

    [Fact]
    public void TinyVitTiny_MobileSamMatchesOfficial()
    {
        using var _ = torch.no_grad();
        using var model = SamGoldens.LoadModel(SamGoldens.TinyVitTiny, "sam_tinyvit_tiny.pth");
        using var golden = Checkpoint.Load(SamGoldens.Path("sam_tinyvit_tiny_golden.safetensors"));
        using var predictor = EncodePhoto(model, golden);
        using var p = predictor.Predict([new SamPoint(200, 120, 1)], multimaskOutput: false);
        AssertPrediction(golden, "point", p);
    }
}
