using VisualWords.Imaging;
using VisualWords.Segmenter;

namespace VisualWords.Tests.Segmenter;

/// <summary>The model in models/visualwords-shapes loads strictly and answers the README's quick start.</summary>
public class ShippedModelTests
{
    [Fact]
    public void Shipped_model_segments_the_quick_start_scene()
    {
        var folder = Fixtures.ShippedModel();
        using var seg = ReferringSegmenter.Load(folder);
        var image = ImageIO.Load(Fixtures.Path("shapes", "scene.png"));
        using var session = seg.Open(image);
        Assert.InRange(session.VisualTokenCount, 1, seg.Model.Config.Superpixels.Partition.MaxRegions ?? int.MaxValue);
        var r = session.Segment("the red hexagon");
        Assert.Contains("[SEG]", r.Answer);
        Assert.Single(r.Masks);
        Assert.Equal(image.Width * image.Height, r.Mask.Length);
    }
}
