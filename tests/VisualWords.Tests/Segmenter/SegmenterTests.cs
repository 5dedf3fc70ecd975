using VisualWords.Imaging;
using VisualWords.Segmenter;
using VisualWords.Training;
using VisualWords.Tests.Training;

namespace VisualWords.Tests.Segmenter;

[Collection(GlobalRngCollection.Name)]
public class SegmenterTests
{
    [Fact]
    public void Training_reduces_the_loss_and_the_saved_folder_segments_with_a_cached_prefix()
    {
        using var run = Fixtures.TempDir();
        using var task = new ReferringSegmentationTask(TinySegmenter.Config(steps: 12));
        var history = new Trainer(TinySegmenter.Config(steps: 12), task, run.Path).Run(resume: false);
        Assert.True(history[^1].Loss < history[0].Loss, $"loss {history[0].Loss:F3} -> {history[^1].Loss:F3}");
        Assert.All(history, h => Assert.True(h.Parts["ce"] >= 0 && h.Parts["bce"] >= 0 && h.Parts["dice"] >= 0));

        var folder = Path.Combine(run.Path, "model");
        SegmenterFolder.Save(task.Segmenter, folder);
        using var seg = ReferringSegmenter.Load(folder);
        var image = ImageIO.Load(Path.Combine(TinySegmenter.DatasetDir, "images", "000000.png"));
        using var session = seg.Open(image);
        Assert.Equal(9, session.VisualTokenCount); // 3 x 3 grid cells
        var first = session.Segment("the red circle");
        var second = session.Segment("the large square");
        Assert.Equal(image.Width * image.Height, second.Mask.Length);
        using var fresh = seg.Open(image);
        var again = fresh.Segment("the large square");
        Assert.Equal(second.Answer, again.Answer);
        Assert.Equal(second.Mask, again.Mask);
        Assert.Equal(first.Answer, session.Segment("the red circle").Answer);
        Assert.Throws<BadInputException>(() => session.Segment("   "));
    }

    [Fact]
    public void Loaded_folder_has_identical_weights_and_strictly_refuses_a_wrong_one()
    {
        using var run = Fixtures.TempDir();
        using var task = new ReferringSegmentationTask(TinySegmenter.Config(steps: 1));
        var a = Path.Combine(run.Path, "a");
        SegmenterFolder.Save(task.Segmenter, a);
        using (var back = SegmenterFolder.Load(a))
        {
            var sa = task.Segmenter.state_dict();
            var sb = back.state_dict();
            Assert.Equal(sa.Keys.OrderBy(k => k), sb.Keys.OrderBy(k => k));
            foreach (var k in sa.Keys) Assert.True(TensorAssert.Same(sa[k], sb[k]), k);
            Assert.Contains("text_hidden_fcs.0.0.weight", sa.Keys);
            Assert.Contains("visual_model.mask_decoder.iou_token.weight", sa.Keys);
        }
        File.WriteAllText(Path.Combine(a, SegmenterFolder.ConfigFile),
            File.ReadAllText(Path.Combine(a, SegmenterFolder.ConfigFile)).Replace("\"hidden_size\": 32", "\"hidden_size\": 48"));
        var e = Assert.Throws<BadInputException>(() => SegmenterFolder.Load(a));
        Assert.Contains("shape mismatches", e.Message);
        Assert.Contains("text_hidden_fcs.0.0.weight", e.Message);
    }
}
