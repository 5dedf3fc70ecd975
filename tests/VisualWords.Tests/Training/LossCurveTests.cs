using VisualWords.Imaging;
using VisualWords.Training;

namespace VisualWords.Tests.Training;

public class LossCurveTests
{
    static List<StepMetrics> History(int n) =>
        Enumerable.Range(1, n).Select(i => new StepMetrics(i, 2.0 / i, new Dictionary<string, double>(), 1e-3, 1, 10)).ToList();

    static RgbImage LoadChecked(string path, int width, int height)
    {
        Assert.InRange(new FileInfo(path).Length, 1_000, 1_000_000);
        var img = ImageIO.Load(path);
        Assert.Equal((width, height), (img.Width, img.Height));
        return img;
    }

    [Fact]
    public void Writes_the_curve_as_a_png_and_the_validation_scores_change_it()
    {
        using var dir = Fixtures.TempDir();
        LossCurve.Save(History(50), dir.File("plain.png"));
        LossCurve.Save(History(50), dir.File("val.png"), validation: [(10, 0.2), (30, 0.5), (50, 0.6)], validationName: "val gIoU");
        var plain = LoadChecked(dir.File("plain.png"), 800, 400);
        var val = LoadChecked(dir.File("val.png"), 800, 400);
        Assert.NotEqual(plain.Pixels, val.Pixels);   // markers, right axis, legend entry
        Assert.Empty(Directory.GetFiles(dir.Path, "*" + AtomicFile.TempMarker + "*"));
    }

    [Fact]
    public void A_diverged_run_with_infinite_losses_still_draws()
    {
        using var dir = Fixtures.TempDir();
        var history = History(20);
        history[10] = history[10] with { Loss = double.PositiveInfinity };
        history[11] = history[11] with { Loss = double.NaN };
        LossCurve.Save(history, dir.File("loss.png"));
        LoadChecked(dir.File("loss.png"), 800, 400);

        var none = History(3).Select(h => h with { Loss = double.NaN }).ToList();
        LossCurve.Save(none, dir.File("none.png"), width: 640, height: 320, validation: [(2, double.NaN)]);
        LoadChecked(dir.File("none.png"), 640, 320);
    }
}
