using System.Text.Json;
using VisualWords.Checkpoints;
using VisualWords.Data;
using VisualWords.Imaging;
using VisualWords.Sam;
using VisualWords.Sam.Amg;
using Xunit;
using static TorchSharp.torch;

namespace VisualWords.Tests.Sam.Amg;

/// <summary>
/// Everything mode against the official generator (goldens from tools/parity/amg_goldens.py): same
/// tiny random-weight SAM, same crop embeddings, lowered thresholds.
/// </summary>
public class AmgParityTests
{
    static string Fixture(string area, string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", area, name);

    static SamModel LoadModel() => SamModel.FromCheckpoint(SamModelConfig.VitTiny, Fixture("amg", "amg_vit_tiny.pth"));

    sealed record Golden(AutomaticMaskGeneratorConfig Config, List<JsonElement> Records);

    static Golden ReadGolden(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixture("amg", $"amg_{name}.json")));
        var o = doc.RootElement.GetProperty("options");
        double D(string k, double dflt) => o.TryGetProperty(k, out var v) ? v.GetDouble() : dflt;
        int I(string k, int dflt) => o.TryGetProperty(k, out var v) ? v.GetInt32() : dflt;
        var d = new AutomaticMaskGeneratorConfig();
        var cfg = new AutomaticMaskGeneratorConfig
        {
            PointsPerSide = I("points_per_side", 32),
            PointsPerBatch = I("points_per_batch", d.PointsPerBatch),
            PredIouThresh = D("pred_iou_thresh", d.PredIouThresh),
            StabilityScoreThresh = D("stability_score_thresh", d.StabilityScoreThresh),
            StabilityScoreOffset = D("stability_score_offset", d.StabilityScoreOffset),
            BoxNmsThresh = D("box_nms_thresh", d.BoxNmsThresh),
            CropNLayers = I("crop_n_layers", d.CropNLayers),
            CropNmsThresh = D("crop_nms_thresh", d.CropNmsThresh),
            CropOverlapRatio = D("crop_overlap_ratio", d.CropOverlapRatio),
            CropNPointsDownscaleFactor = I("crop_n_points_downscale_factor", d.CropNPointsDownscaleFactor),
            MinMaskRegionArea = I("min_mask_region_area", d.MinMaskRegionArea),
        };
        var records = doc.RootElement.GetProperty("records").EnumerateArray().Select(r => r.Clone()).ToList();
        return new Golden(cfg, records);
    }

    [Theory]
    [InlineData("grid")]
    [InlineData("iou")]
    [InlineData("crops")]
    public void MatchesTheOfficialGeneratorFromPrecomputedEmbeddings(string name)
    {
        var golden = ReadGolden(name);
        using var model = LoadModel();
        using var embeddings = Checkpoint.Load(Fixture("amg", $"amg_{name}_embeddings.safetensors"));
        int next = 0;
        var gen = new SamAutomaticMaskGenerator(model, golden.Config);
        // Crops are visited in the reference's order, so the i-th request gets the i-th recorded embedding.
        var ours = gen.Generate(240, 360, _ => embeddings[$"crop{next++}"].clone());
        Console.WriteLine($"amg {name}: {gen.LastTimings}");
        Assert.Equal(embeddings.Count, next);
        AssertSameRecords(golden.Records, ours);
    }

    /// <summary>
    /// SAM's default options (32 x 32 points, pred IoU 0.88, stability 0.95) on the ShapesWorld SAM
    /// (models/shapes-sam), whose masks pass them: the same records as the official generator, from
    /// its embedding, and the same again from our own encoder on the scene.
    /// </summary>
    [Fact]
    public void MatchesTheOfficialGeneratorAtDefaultThresholdsOnTheShapesWorldSam()
    {
        var golden = ReadGolden("shapes_default");
        Assert.Equal(new AutomaticMaskGeneratorConfig() with { PointGrids = null }, golden.Config with { PointGrids = null });
        Assert.True(golden.Records.Count >= 2, "the ShapesWorld SAM keeps masks at the default thresholds");
        using var model = SamModel.FromCheckpoint(SamModelConfig.ShapesSam32, Path.Combine(Fixtures.RepoRoot(), "models", "shapes-sam", "model.safetensors"));
        using var embeddings = Checkpoint.Load(Fixture("amg", "amg_shapes_default_embeddings.safetensors"));
        var ours = new SamAutomaticMaskGenerator(model, golden.Config).Generate(128, 128, _ => embeddings["crop0"].clone());
        AssertSameRecords(golden.Records, ours);
        var scene = ImageIO.Load(Fixture("shapes", "scene.png"));
        AssertSameRecords(golden.Records, new SamAutomaticMaskGenerator(model, golden.Config).Generate(scene));
    }

    [Fact]
    public void RunsTheEncoderWhenNoEmbeddingIsGiven()
    {
        var golden = ReadGolden("iou");
        using var model = LoadModel();
        var image = ImageIO.Load(Fixture("sam", "truck_360x240.png"));
        var ours = new SamAutomaticMaskGenerator(model, golden.Config).Generate(image);
        AssertSameRecords(golden.Records, ours);
    }

    [Fact]
    public void SharedImageDecoderEqualsTheGenericDecoder()
    {
        using var model = LoadModel();
        using var embeddings = Checkpoint.Load(Fixture("amg", "amg_iou_embeddings.safetensors"));
        using var predictor = new SamPredictor(model);
        predictor.SetEmbedding(embeddings["crop0"], (240, 360));
        using var points = tensor(new float[] { 10, 20, 128, 90, 255, 170, 200.5f, 3 }, [4, 2]);
        using var _ = no_grad();
        using var generic = predictor.PredictLowRes(points.unsqueeze(1), ones([4, 1], ScalarType.Int64), null, null, true, null, out var genericIou);
        using var decoder = new PointPromptDecoder(model, predictor.Embedding);
        var (lowRes, iou) = decoder.Decode(points);
        Assert.Equal(generic.shape, lowRes.shape);
        Assert.True((lowRes - generic).abs().max().item<float>() < 1e-4f);
        Assert.True((iou - genericIou).abs().max().item<float>() < 1e-5f);
        lowRes.Dispose(); iou.Dispose(); genericIou.Dispose();
    }

    static void AssertSameRecords(List<JsonElement> expected, List<SamMaskRecord> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var a = actual[i];
            var seg = e.GetProperty("segmentation");
            var size = seg.GetProperty("size").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var rle = new Rle(size[0], size[1], seg.GetProperty("counts").EnumerateArray().Select(v => v.GetUInt32()).ToArray());
            Assert.True(MaskIou(RleEncoding.Decode(rle), RleEncoding.Decode(a.Segmentation)) >= 0.99, $"mask {i}: IoU below 0.99");
            Assert.InRange(Math.Abs(a.Area - e.GetProperty("area").GetInt64()), 0, Math.Max(3, a.Area / 200));
            var box = e.GetProperty("bbox").EnumerateArray().Select(v => v.GetInt64()).ToArray();
            for (int k = 0; k < 4; k++) Assert.InRange(Math.Abs(a.Bbox[k] - box[k]), 0, 1);
            Assert.Equal(e.GetProperty("predicted_iou").GetDouble(), a.PredictedIou, 1e-4);
            Assert.Equal(e.GetProperty("stability_score").GetDouble(), a.StabilityScore, 1e-2);
            var pt = e.GetProperty("point_coords")[0].EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(pt[0], a.PointCoords[0], 1e-9);
            Assert.Equal(pt[1], a.PointCoords[1], 1e-9);
            Assert.Equal(e.GetProperty("crop_box").EnumerateArray().Select(v => (int)v.GetDouble()).ToArray(), a.CropBox);
        }
    }

    static double MaskIou(bool[] a, bool[] b)
    {
        long inter = 0, union = 0;
        for (int i = 0; i < a.Length; i++) { inter += a[i] && b[i] ? 1 : 0; union += a[i] || b[i] ? 1 : 0; }
        return union == 0 ? 1 : (double)inter / union;
    }
}
