using VisualWords.Imaging;
using VisualWords.Superpixels;
using Xunit;

namespace VisualWords.Tests.Superpixels;

public class PrecomputeTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "vw-precompute-" + Guid.NewGuid().ToString("N")[..8]);
    string Images => Path.Combine(_root, "images");

    public PrecomputeTests()
    {
        var rng = new Random(5);
        Directory.CreateDirectory(Path.Combine(Images, "sub"));
        for (int i = 0; i < 7; i++)
        {
            int w = 30 + 2 * i, h = 24;
            var px = new byte[w * h * 3];
            int split = rng.Next(5, w - 5);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int k = (y * w + x) * 3;
                    px[k] = (byte)(x < split ? 200 : 30); px[k + 1] = (byte)(y < h / 2 ? 180 : 60); px[k + 2] = (byte)rng.Next(90, 110);
                }
            ImageIO.SavePng(new RgbImage(w, h, px), Path.Combine(Images, i % 3 == 0 ? "sub" : "", $"img{i}.png"));
        }
        File.WriteAllText(Path.Combine(Images, "notes.txt"), "not an image");
    }

    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    static readonly SlicSuperpixelizer Slic = new(new SlicConfig { Segments = 12, Iterations = 3 });
    static (SuperpixelPartition, int) Compute(RgbImage img) => (Slic.Partition(img), 0);
    PrecomputePlan Plan() => PrecomputePlan.ForFolder(Images, "slic", "segments=12");

    static Dictionary<string, string> Files(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllText);

    [Fact]
    public void ThreeShardsThenMergeEqualOneUnshardedRun()
    {
        var plan = Plan();
        Assert.Equal(7, plan.Images.Count);
        Assert.Contains("sub/img0.png", plan.Images);
        string sharded = Path.Combine(_root, "sharded"), single = Path.Combine(_root, "single");
        var counts = Enumerable.Range(0, 3).Select(i => Precompute.RunShard(plan, i, 3, sharded, Compute).Computed).ToArray();
        Assert.Equal(new[] { 3, 2, 2 }, counts);
        Assert.Equal(7, Precompute.RunShard(plan, 0, 1, single, Compute).Computed);
        Precompute.Merge(sharded);
        Precompute.Merge(single);
        Assert.Equal(Files(single), Files(sharded));
        var content = SuperpixelFile.Load(PrecomputePlan.OutputPath(single, "img1.png"));
        Assert.Equal("img1.png", content.Image);
        SemanticPartitionerTests.AssertIsPartition(content.Partition);
    }

    [Fact]
    public void KilledRunResumesWithoutRedoingOrCorruptFiles()
    {
        var plan = Plan();
        string outDir = Path.Combine(_root, "run"), reference = Path.Combine(_root, "reference");
        int calls = 0;
        Assert.Throws<InvalidOperationException>(() => Precompute.RunShard(plan, 0, 1, outDir, img =>
            ++calls == 3 ? throw new InvalidOperationException("killed") : Compute(img)));
        var done = plan.Images.Where(i => File.Exists(PrecomputePlan.OutputPath(outDir, i))).ToList();
        Assert.Equal(plan.Images.Take(2), done);
        // A kill during a write leaves a half-written temp file next to the target, never a target.
        var victim = PrecomputePlan.OutputPath(outDir, plan.Images[2]);
        File.WriteAllText(victim + AtomicFile.TempMarker + "999-deadbeef", "{\"format\":\"visualwords.superp");
        var stamps = done.Select(i => File.GetLastWriteTimeUtc(PrecomputePlan.OutputPath(outDir, i))).ToList();
        Assert.Throws<BadInputException>(() => Precompute.Merge(outDir));

        var resumed = Precompute.RunShard(plan, 0, 1, outDir, Compute);
        Assert.Equal(new PrecomputeShardResult(7, 5, 2, 1), resumed);
        Assert.Equal(stamps, done.Select(i => File.GetLastWriteTimeUtc(PrecomputePlan.OutputPath(outDir, i))));
        Assert.Empty(Directory.EnumerateFiles(outDir, "*" + AtomicFile.TempMarker + "*", SearchOption.AllDirectories));
        Precompute.RunShard(plan, 0, 1, reference, Compute);
        Precompute.Merge(outDir);
        Precompute.Merge(reference);
        Assert.Equal(Files(reference), Files(outDir));
    }

    [Fact]
    public void An_unreadable_image_is_recorded_and_a_corrupt_result_is_computed_again()
    {
        var plan = Plan();
        var outDir = Path.Combine(_root, "failing");
        var broken = Path.Combine(Images, plan.Images[4]);
        var good = File.ReadAllBytes(broken);
        File.WriteAllBytes(broken, good[..40]);   // truncated PNG
        var first = Precompute.RunShard(plan, 0, 1, outDir, Compute);
        Assert.Equal((6, 1), (first.Computed, first.Failed));
        var failure = Assert.Single(Precompute.ReadFailures(outDir));
        Assert.Equal(plan.Images[4], failure.Image);
        Assert.Contains("truncated", failure.Error);
        Assert.True(File.Exists(Path.Combine(outDir, "failed.jsonl")));
        var merge = Assert.Throws<BadInputException>(() => Precompute.Merge(outDir));
        Assert.Contains("could not be read", merge.Message);

        File.WriteAllBytes(broken, good);
        var corrupt = PrecomputePlan.OutputPath(outDir, plan.Images[2]);
        File.WriteAllText(corrupt, File.ReadAllText(corrupt)[..50]);   // cut by a full disk, say
        var second = Precompute.RunShard(plan, 0, 1, outDir, Compute);
        Assert.Equal(new PrecomputeShardResult(7, 2, 5, 0, Recomputed: 1, Failed: 0), second);
        Assert.False(File.Exists(Path.Combine(outDir, "failed.jsonl")));
        Precompute.Merge(outDir);
        Assert.Equal(plan.Images[2], SuperpixelFile.Load(corrupt).Image);
    }

    [Fact]
    public void MergeNamesMissingImagesAndPlansCannotMix()
    {
        var plan = Plan();
        var outDir = Path.Combine(_root, "partial");
        Precompute.RunShard(plan, 1, 3, outDir, Compute);
        var ex = Assert.Throws<BadInputException>(() => Precompute.Merge(outDir));
        Assert.Contains("incomplete: 5 of 7", ex.Message);
        var other = plan with { Settings = "segments=99" };
        Assert.Throws<BadInputException>(() => Precompute.RunShard(other, 0, 3, outDir, Compute));
        Assert.Throws<BadInputException>(() => PrecomputePlan.ParseShard("3/3"));
        Assert.Equal((2, 5), PrecomputePlan.ParseShard("2/5"));
        File.WriteAllText(PrecomputePlan.OutputPath(outDir, plan.Images[1]), "{ not json");
        Assert.Throws<BadInputException>(() => SuperpixelFile.Load(PrecomputePlan.OutputPath(outDir, plan.Images[1])));
    }

    [Fact]
    public void ReferDatasetListsTheImagesOfInstancesJson()
    {
        var dataset = Path.Combine(_root, "refer");
        Directory.CreateDirectory(Path.Combine(dataset, "images"));
        File.WriteAllText(Path.Combine(dataset, "instances.json"),
            "{\"images\": [{\"id\": 1, \"file_name\": \"b.png\"}, {\"id\": 2, \"file_name\": \"a.png\"}], \"annotations\": [], \"categories\": []}");
        File.Copy(Path.Combine(Images, "img1.png"), Path.Combine(dataset, "images", "a.png"));
        var missing = Assert.Throws<BadInputException>(() => ReferImages.Plan(dataset, "slic", "s"));
        Assert.Contains("1 of 2 images", missing.Message);
        File.Copy(Path.Combine(Images, "img2.png"), Path.Combine(dataset, "images", "b.png"));
        var plan = ReferImages.Plan(dataset, "slic", "s");
        Assert.Equal(new[] { "a.png", "b.png" }, plan.Images);
        Assert.Equal(2, Precompute.RunShard(plan, 0, 1, Path.Combine(_root, "refer-out"), Compute).Computed);
        Assert.Throws<BadInputException>(() => ReferImages.Plan(Images, "slic", "s"));   // no instances.json
    }
}
