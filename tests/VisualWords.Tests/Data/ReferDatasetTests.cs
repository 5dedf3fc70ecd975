using VisualWords.Data;
using Xunit;

namespace VisualWords.Tests.Data;

/// <summary>The real RefCOCOg (umd) sample: refs pickle + COCO polygons, no image files.</summary>
public class ReferDatasetTests
{
    static readonly string SampleDir = Path.Combine(AppContext.BaseDirectory, "fixtures", "refcocog-umd-sample");

    [Fact]
    public void Loads_all_refs_and_sentences_with_splits()
    {
        var ds = ReferDataset.Open(SampleDir);
        Assert.Equal(15, ds.Refs.Count);
        Assert.Equal(28, ds.Refs.Sum(r => r.Sentences.Count));
        Assert.Equal(5, ds.RefsOf("train").Count);
        Assert.Equal(5, ds.RefsOf("val").Count);
        Assert.Equal(5, ds.RefsOf("test").Count);
        Assert.Empty(ds.RefsOf("testA"));
        var first = ds.Refs[0];
        Assert.Equal(40373, first.RefId);
        Assert.Equal(251837, first.AnnId);
        Assert.Equal(122469, first.ImageId);
        Assert.Equal("train", first.Split);
        Assert.Equal(new long[] { 91981, 91982 }, first.Sentences.Select(s => s.SentId));
        Assert.Equal("a woman wearing black dress", first.Sentences[1].Sent);
        Assert.Equal(new[] { "a", "woman", "wearing", "black", "dress" }, first.Sentences[1].Tokens);
    }

    [Fact]
    public void Every_mask_rasterizes_and_matches_the_annotated_area_within_one_percent()
    {
        var ds = ReferDataset.Open(SampleDir);
        foreach (var r in ds.Refs)
        {
            var ann = ds.Instances.Annotations[r.AnnId];
            var img = ds.Instances.Images[r.ImageId];
            var rle = ds.Instances.Mask(ann);
            Assert.Equal((img.Height, img.Width), (rle.Height, rle.Width));
            long area = RleOps.Area(rle);
            Assert.True(area > 0);
            Assert.True(Math.Abs(area - ann.Area) <= 0.01 * ann.Area, $"ref {r.RefId}: mask area {area} vs annotated {ann.Area}");
            Assert.Equal(area, RleEncoding.Decode(rle).Count(b => b));
        }
    }

    [Fact]
    public void Missing_images_give_a_clear_error_or_are_skipped_and_counted()
    {
        var ds = ReferDataset.Open(SampleDir);
        var e = Assert.Throws<BadInputException>(() => ds.Samples("val"));
        Assert.Contains("image file missing for ref", e.Message);
        Assert.Contains(".jpg", e.Message);
        var set = ds.Samples("val", skipMissingImages: true);
        Assert.Empty(set.Samples);
        Assert.Equal(ds.RefsOf("val").Sum(r => r.Sentences.Count), set.SkippedMissingImages);
    }

    [Fact]
    public void One_sample_per_sentence_when_images_exist()
    {
        var images = Directory.CreateTempSubdirectory("vw-refer-images-");
        try
        {
            var ds0 = ReferDataset.Open(SampleDir);
            // Only the first train ref's image exists.
            var present = ds0.RefsOf("train")[0];
            File.WriteAllBytes(Path.Combine(images.FullName, ds0.Instances.Images[present.ImageId].FileName), [0]);
            var ds = ReferDataset.Open(SampleDir, imageDir: images.FullName);
            var set = ds.Samples("train", skipMissingImages: true);
            int sentencesOnThatImage = ds.RefsOf("train").Where(r => r.ImageId == present.ImageId).Sum(r => r.Sentences.Count);
            Assert.Equal(sentencesOnThatImage, set.Samples.Count);
            Assert.Equal(ds.RefsOf("train").Sum(r => r.Sentences.Count) - sentencesOnThatImage, set.SkippedMissingImages);
            Assert.All(set.Samples, s => Assert.Equal(present.ImageId, s.Image.Id));
            Assert.Equal(present.Sentences[0].Sent, set.Samples[0].Expression);
        }
        finally { images.Delete(recursive: true); }
    }

    [Fact]
    public void Json_refs_read_like_pickled_refs_and_bad_files_are_refused()
    {
        var dir = Directory.CreateTempSubdirectory("vw-refer-json-");
        try
        {
            File.Copy(Path.Combine(SampleDir, "instances.json"), Path.Combine(dir.FullName, "instances.json"));
            File.WriteAllText(Path.Combine(dir.FullName, "refs(mine).json"),
                "[{\"ref_id\":1,\"ann_id\":251837,\"image_id\":122469,\"category_id\":1,\"split\":\"testB\"," +
                "\"sentences\":[{\"sent_id\":7,\"sent\":\"the woman\",\"raw\":\"The woman\",\"tokens\":[\"the\",\"woman\"]}]}]");
            var ds = ReferDataset.Open(dir.FullName);
            Assert.Single(ds.RefsOf("testB"));
            Assert.Single(ds.RefsOf("test"));
            Assert.Equal("The woman", ds.Refs[0].Sentences[0].Raw);
            Assert.Throws<BadInputException>(() => ds.Samples("train"));

            File.WriteAllText(Path.Combine(dir.FullName, "refs(mine).json"), "[{\"ref_id\":1}]");
            var e = Assert.Throws<BadInputException>(() => ReferDataset.Open(dir.FullName));
            Assert.Contains("missing key", e.Message);
            // A pickle naming a class is refused by name.
            File.Delete(Path.Combine(dir.FullName, "refs(mine).json"));
            File.WriteAllBytes(Path.Combine(dir.FullName, "refs(bad).p"), System.Text.Encoding.ASCII.GetBytes("cos\nsystem\n(S'echo'\ntR."));
            e = Assert.Throws<BadInputException>(() => ReferDataset.Open(dir.FullName));
            Assert.Contains("os", e.Message);
        }
        finally { dir.Delete(recursive: true); }
    }
}
