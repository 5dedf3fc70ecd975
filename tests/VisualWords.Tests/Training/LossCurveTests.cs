using VisualWords.Imaging;
using VisualWords.Training;

namespace VisualWords.Tests.Training;

public class LossCurveTests
{
    static List<StepMetrics> History(int n) =>
        Enumerable.Range(1, n).Select(i => new StepMetrics(i, 2.0 / i, new Dictionary<string, double>(), 1e-3, 1, 10)).ToList();

    static int Count(RgbImage img, (byte R, byte G, byte B) colour) =>
        Enumerable.Range(0, img.Width * img.Height).Count(i => img.Pixels[i * 3] == colour.R && img.Pixels[i * 3 + 1] == colour.G && img.Pixels[i * 3 + 2] == colour.B);

    [Fact]
    public void Validation_points_get_their_own_axis_and_legend_entry()
    {
        using var dir = Fixtures.TempDir();
        LossCurve.Save(History(50), dir.File("plain.png"));
        LossCurve.Save(History(50), dir.File("val.png"), validation: [(10, 0.2), (30, 0.5), (50, 0.6)], validationName: "val gIoU");
        var plain = ImageIO.Load(dir.File("plain.png"));
        var val = ImageIO.Load(dir.File("val.png"));
        Assert.Equal((800, 400), (val.Width, val.Height));
        var orange = ((byte)220, (byte)90, (byte)20);
        Assert.Equal(0, Count(plain, orange));
        Assert.True(Count(val, orange) >= 4 * 20, "three points and a legend dot, each a filled 4-px circle");
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
        Assert.Equal(800, ImageIO.Load(dir.File("loss.png")).Width);
    }
}
