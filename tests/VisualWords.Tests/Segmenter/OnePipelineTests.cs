using VisualWords.Data;
using VisualWords.Imaging;
using VisualWords.Language;
using VisualWords.Segmenter;
using VisualWords.Training;
using VisualWords.Tests.Training;
using static TorchSharp.torch;

namespace VisualWords.Tests.Segmenter;

/// <summary>Training and inference share one pipeline: the same visual words, the same [SEG] decoding.</summary>
[Collection(GlobalRngCollection.Name)]
public class OnePipelineTests
{
    [Fact]
    public void Words_that_training_uses_are_the_words_segment_computes()
    {
        using var run = Fixtures.TempDir();
        var config = TinySegmenter.Config(steps: 3, superpixels: "semantic", grounding: true);
        using var task = new ReferringSegmentationTask(config);
        new Trainer(config, task, run.Path).Run(resume: false);   // the mask decoder moves; the words must not
        var dataset = ReferDataset.Open(TinySegmenter.DatasetDir);
        var sample = dataset.Samples("train").Samples[0];
        var trained = task.ImageOf(sample);
        Assert.True(trained.Regions > 1, "the tiny SAM's everything mode gives several words");

        var folder = Path.Combine(run.Path, "model");
        SegmenterFolder.Save(task.Segmenter, folder);
        using var seg = ReferringSegmenter.Load(folder);
        using var session = seg.Open(ImageIO.Load(sample.ImagePath));
        Assert.Equal(trained.Partition.Labels, session.Partition.Labels);
        Assert.Equal(trained.Regions, session.VisualTokenCount);
        var result = session.Segment("the red circle");
        Assert.Equal(result.Masks.Count, result.Words.Count);
    }

    [Fact]
    public void Words_cache_gives_back_the_same_words_and_only_to_the_same_sam()
    {
        using var dir = Fixtures.TempDir();
        var cache = Path.Combine(dir.Path, "words");
        var sample = ReferDataset.Open(TinySegmenter.DatasetDir).Samples("train").Samples[0];
        var config = TinySegmenter.Config(steps: 1, superpixels: "semantic", grounding: true, wordsCache: cache);
        int[] computed;
        using (var task = new ReferringSegmentationTask(config)) computed = task.ImageOf(sample).Partition.Labels;
        var file = Assert.Single(Directory.GetFiles(cache, "*.json", SearchOption.AllDirectories));
        var written = File.GetLastWriteTimeUtc(file);

        using (var task = new ReferringSegmentationTask(config))
            Assert.Equal(computed, task.ImageOf(sample).Partition.Labels);
        Assert.Equal(written, File.GetLastWriteTimeUtc(file));                 // read, not recomputed

        File.WriteAllText(file, "{ truncated");                                   // a corrupt file is computed again
        using (var task = new ReferringSegmentationTask(config))
            Assert.Equal(computed, task.ImageOf(sample).Partition.Labels);
        Assert.Equal(computed, VisualWords.Superpixels.SuperpixelFile.Load(file).Partition.Labels);

        // Another SAM (another seed's random weights) has another fingerprint: its words go elsewhere.
        using (var other = new ReferringSegmentationTask(TinySegmenter.Config(steps: 1, superpixels: "semantic", grounding: true, wordsCache: cache, seed: 12)))
            other.ImageOf(sample);
        Assert.Equal(2, Directory.GetFiles(cache, "*.json", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public void Teacher_forced_forward_equals_the_sessions_kv_cached_path()
    {
        using var _ = no_grad();
        var config = TinySegmenter.Config(steps: 1, superpixels: "semantic", grounding: true);
        using var task = new ReferringSegmentationTask(config);
        var m = task.Segmenter;
        using var seg = new ReferringSegmenter(m);
        var dataset = ReferDataset.Open(TinySegmenter.DatasetDir);
        var sample = dataset.Samples("train").Samples[1];
        using var session = seg.Open(ImageIO.Load(sample.ImagePath));

        var f = m.Forward([session.Inputs], [sample.Expression]);
        using (f.Packed)
        {
            // The session's path: the prompt up to the image's end into a KV cache, then the rest on top of it.
            using var packed = MultimodalPacker.Pack(m.Tokenizer, [m.Conversation(sample.Expression, session.VisualTokenCount, withAnswer: true)]);
            using var visual = m.VisualTokens([session.Inputs]);
            var embeds = MultimodalPacker.Embed(m.llm, packed, VisualWordsModel.FlattenTokens(visual));
            int prefix = packed.ImageEnd[0];
            using var cache = new KvCache(m.llm.Config.NumHiddenLayers);
            var prefixHidden = m.llm.Hidden(embeds.narrow(1, 0, prefix), cache: cache);
            var suffixHidden = m.llm.Hidden(embeds.narrow(1, prefix, embeds.shape[1] - prefix), cache: cache);
            var pos = packed.SegHiddenPositions[0][0] - prefix;
            var grounding = VisualWordsModel.GroundingInputs(cat([prefixHidden, suffixHidden], 1), packed, visual);
            var decoded = m.DecodeSeg([session.Inputs], suffixHidden[0, pos].unsqueeze(0), grounding);
            Assert.True(TensorAssert.MaxAbsDiff(f.Decoded.MaskLogits, decoded.MaskLogits) < 1e-4, "mask logits differ");
            Assert.True(TensorAssert.MaxAbsDiff(f.Decoded.WordScores!, decoded.WordScores!) < 1e-4, "word scores differ");
            var (a, wa) = m.FinalMasks([session.Inputs], f.Decoded);
            var (b, wb) = m.FinalMasks([session.Inputs], decoded);
            Assert.True(TensorAssert.Same(a[0], b[0]));
            Assert.Equal(wa[0], wb[0]);
        }
    }

    [Fact]
    public void Semantic_word_training_with_a_worker_thread_is_reproducible()
    {
        double[] Run(int workers)
        {
            using var dir = Fixtures.TempDir();
            var config = TinySegmenter.Config(steps: 4, superpixels: "semantic", grounding: true, workers: workers);
            using var task = new ReferringSegmentationTask(config);
            return new Trainer(config, task, dir.Path).Run(resume: false).Select(h => h.Loss).ToArray();
        }
        var a = Run(1);
        Assert.Equal(a, Run(1));
        Assert.Equal(a, Run(0));
    }
}
