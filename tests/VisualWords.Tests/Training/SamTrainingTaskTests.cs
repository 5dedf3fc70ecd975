using VisualWords.Data;
using VisualWords.Evaluation;
using VisualWords.Training;
using static TorchSharp.torch;

namespace VisualWords.Tests.Training;

/// <summary>
/// SAM training on a tiny ShapesWorld made in the test. Building the task seeds torch's
/// process-wide RNG (the initial weights), so these run alone like the trainer tests.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public sealed class SamTrainingTaskTests : IClassFixture<SamTrainingTaskTests.TinyWorld>
{
    /// <summary>Eight 64 px ShapesWorld images, made once for the class.</summary>
    public sealed class TinyWorld : IDisposable
    {
        readonly TempDir _dir = Fixtures.TempDir();
        public string Path => _dir.Path;
        public TinyWorld() => ShapesWorldWriter.Write(_dir.Path, 8, 3, new ShapesWorldOptions { Size = 64 }, threads: 1);
        public void Dispose() => _dir.Dispose();
    }

    readonly TinyWorld _world;
    public SamTrainingTaskTests(TinyWorld world) => _world = world;

    /// <summary>A 32 px SAM with one global block: every part of the real one, milliseconds per step.</summary>
    const string TinySam = """
        { "name": "test_sam", "vit": { "img_size": 32, "patch_size": 8, "embed_dim": 32, "depth": 1, "num_heads": 2,
            "global_attn_indexes": [0], "out_chans": 32, "window_size": 0 },
          "prompt_embed_dim": 32, "decoder_heads": 2, "decoder_mlp_dim": 64, "iou_head_hidden_dim": 32, "embedding_patch_size": 8 }
        """;

    TrainConfig Config(string extraData = "", long steps = 20) => TrainConfig.Parse($$"""
        { "model": { "kind": "sam", "sam": {{TinySam}} },
          "data": { "dir": "{{_world.Path}}", "split": "train", "val_split": "train", "val_images": 2, "batch_images": 1 {{extraData}} },
          "optim": { "lr": 0.003, "warmup_steps": 0, "betas": [0.9, 0.999] },
          "run": { "steps": {{steps}}, "seed": 11, "checkpoint_every": 100, "workers": 0 } }
        """);

    [Fact]
    public void Batches_are_a_function_of_seed_step_and_micro()
    {
        using var a = new SamTrainingTask(Config());
        using var b = new SamTrainingTask(Config());
        using var a31 = (SamTrainingBatch)a.PrepareBatch(3, 1);
        using var b31 = (SamTrainingBatch)b.PrepareBatch(3, 1);
        using var a30 = (SamTrainingBatch)a.PrepareBatch(3, 0);
        manual_seed(12345);  // the process-wide RNG must not matter
        using var b31Again = (SamTrainingBatch)b.PrepareBatch(3, 1);
        Assert.True(SameBatch(a31, b31));
        Assert.True(SameBatch(a31, b31Again));
        Assert.False(SameBatch(a31, a30));
    }

    static bool SameBatch(SamTrainingBatch x, SamTrainingBatch y)
    {
        static bool Same(Tensor? p, Tensor? q) => p is null ? q is null : q is not null && TensorAssert.Same(p, q);
        return x.Images.Count == y.Images.Count && x.Prompts.Count == y.Prompts.Count
            && x.Images.Zip(y.Images).All(t => Same(t.First, t.Second))
            && x.Prompts.Zip(y.Prompts).All(t => t.First.Multimask == t.Second.Multimask && Same(t.First.Coords, t.Second.Coords)
                && Same(t.First.Labels, t.Second.Labels) && Same(t.First.Boxes, t.Second.Boxes) && Same(t.First.Targets, t.Second.Targets));
    }

    [Fact]
    public void Loss_falls_when_one_batch_is_repeated()
    {
        using var task = new SamTrainingTask(Config());
        using var batch = (SamTrainingBatch)task.PrepareBatch(0, 0);
        using var opt = optim.AdamW(task.TrainableParameters, 0.003, 0.9, 0.999);
        task.Model.train();
        var losses = new List<double>();
        for (int i = 0; i < 20; i++)
        {
            using var scope = NewDisposeScope();
            opt.zero_grad();
            var loss = task.Loss(batch);
            loss.Total.backward();
            opt.step();
            losses.Add(loss.Total.item<float>());
            Assert.Equal(new[] { "dice", "focal", "iou_mse", "train_miou" }, loss.Parts.Keys.Order());
            Assert.Equal(1, loss.Samples);
        }
        Assert.True(losses[^1] < 0.6 * losses[0], $"loss {losses[0]:F3} -> {losses[^1]:F3}");
    }

    [Fact]
    public void Trainer_runs_the_registered_kind_and_validates_with_point_miou()
    {
        using var dir = Fixtures.TempDir();
        var config = Config(steps: 3);
        using var task = TrainingTasks.Create(config);
        Assert.IsType<SamTrainingTask>(task);
        var history = new Trainer(config, task, dir.Path).Run(resume: false);
        Assert.Equal(3, history.Count);
        Assert.All(history, m => Assert.True(double.IsFinite(m.Loss)));
        task.Model.eval();
        var score = task.Validate();
        Assert.NotNull(score);
        Assert.Equal("val point mIoU", task.ValidationMetric);
        Assert.InRange(score!.Value, 0.0, 1.0);
        Assert.True(File.Exists(Path.Combine(dir.Path, "best", "model.safetensors")));

        // The evaluations count every object once and report fractions.
        var images = InstanceImage.OfSplit(ReferDataset.Open(_world.Path), "train").Take(2).ToList();
        int objects = images.Sum(i => i.Masks.Count(m => RleOps.Area(m) > 0));
        var sam = ((SamTrainingTask)task).Sam;
        var grid = SamPromptEvaluation.Grid(sam, images, pointsPerSide: 4, predIouThresh: double.NegativeInfinity, stabilityThresh: double.NegativeInfinity);
        Assert.Equal(objects, grid.Objects);
        Assert.InRange(grid.Recall50, 0.0, 1.0);
        Assert.Equal(grid.Recall50, grid.FilteredRecall50);   // nothing filtered
        Assert.Equal(48.0, grid.MeanKeptMasksPerImage, 6);   // no filter: 16 points x 3 outputs
        var everything = SamPromptEvaluation.Everything(sam, images,
            new VisualWords.Sam.Amg.AutomaticMaskGeneratorConfig { PointsPerSide = 4, PredIouThresh = 0, StabilityScoreThresh = 0 });
        Assert.Equal(objects, everything.Objects);
        Assert.InRange(everything.Recall50, 0.0, 1.0);
    }

    [Fact]
    public void Config_paths_are_relative_to_the_config_file_and_resume_says_fresh_or_finished()
    {
        using var dir = Fixtures.TempDir();
        var configDir = Directory.CreateDirectory(Path.Combine(dir.Path, "configs")).FullName;
        var relative = Path.GetRelativePath(configDir, _world.Path);
        Assert.False(Path.IsPathRooted(relative));
        var configPath = Path.Combine(configDir, "sam.json");
        File.WriteAllText(configPath, $$"""
            { "model": { "kind": "sam", "sam": {{TinySam}} },
              "data": { "dir": "{{relative}}", "split": "train", "val_split": null, "batch_images": 1 },
              "optim": { "lr": 0.003, "warmup_steps": 0 },
              "run": { "steps": 2, "seed": 11, "checkpoint_every": 1, "workers": 0 } }
            """);
        Assert.Equal(_world.Path, TrainConfig.Load(configPath).ResolvePath(relative));

        var run = Path.Combine(dir.Path, "run");
        var (code, _, err) = VisualWords.Tests.Cli.CliRunner.Run("train", "--threads", "1", "--config", configPath, "--out", run, "--resume");
        Assert.True(code == 0, err);
        Assert.Contains("starting a fresh run", err);
        string output;
        (code, output, err) = VisualWords.Tests.Cli.CliRunner.Run("train", "--threads", "1", "--config", configPath, "--out", run, "--resume");
        Assert.True(code == 0, err);
        Assert.Contains("is finished: step 2 of 2", output);
    }

    [Fact]
    public void Config_errors_name_the_place_not_dotnet_types()
    {
        var steps = Assert.Throws<BadInputException>(() => TrainConfig.Parse("""{ "run": { "steps": "many" } }""")).Message;
        Assert.Contains("$.run.steps", steps);
        Assert.Contains("expected an integer", steps);
        var run = Assert.Throws<BadInputException>(() => TrainConfig.Parse("""{ "run": 5 }""")).Message;
        Assert.Contains("$.run", run);
        Assert.Contains("expected an object", run);
        var schedule = Assert.Throws<BadInputException>(() => TrainConfig.Parse("""{ "optim": { "schedule": "zigzag" } }""")).Message;
        Assert.Contains("cosine", schedule);
        foreach (var m in new[] { steps, run, schedule }) Assert.DoesNotContain("System.", m);
        foreach (var m in new[] { steps, run, schedule }) Assert.DoesNotContain("VisualWords.", m);
    }

    [Fact]
    public void Bad_sections_are_reported_by_name()
    {
        Assert.Contains("model.sam", Assert.Throws<BadInputException>(() => new SamTrainingTask(TrainConfig.Parse(
            $$"""{ "model": { "kind": "sam", "sam": 5 }, "data": { "dir": "{{_world.Path}}" } }"""))).Message);
        Assert.Contains("vit_huge", Assert.Throws<BadInputException>(() => new SamTrainingTask(TrainConfig.Parse(
            $$"""{ "model": { "kind": "sam", "sam": "vit_huge" }, "data": { "dir": "{{_world.Path}}" } }"""))).Message);
        Assert.Contains("image_size", Assert.Throws<BadInputException>(() => new SamTrainingTask(Config(""", "image_size": 64"""))).Message);
        Assert.Contains("prompts", Assert.Throws<BadInputException>(() => new SamTrainingTask(Config(""", "prompts": { "point": 0.8, "box": 0.5 }"""))).Message);
        Assert.Throws<BadInputException>(() => new SamTrainingTask(Config(""", "bogus": 1""")));
    }

    [Fact]
    public void Prompts_fall_inside_their_mask_and_negatives_outside()
    {
        const int h = 20, w = 20;
        var square = new bool[h * w];
        for (int y = 5; y < 12; y++) for (int x = 6; x < 14; x++) square[y * w + x] = true;
        var background = square.Select(v => !v).ToArray();
        var options = new SamPromptOptions { PerImage = 6, Point = 0, Box = 0, Negative = 1, Background = 0 };
        for (int seed = 0; seed < 20; seed++)
        {
            var set = SamPromptSampler.Sample(DeterministicRandom.Fork(seed, 0), [square], background, h, w, options, 32);
            Assert.Equal(SamPromptKind.Points, set.Kind);
            for (int i = 0; i < set.Labels.Length; i++)
            {
                // c stands for c + 0.5, so the clicked pixel is floor(c + 0.5).
                int px = (int)Math.Floor(set.Coords[2 * i] + 0.5), py = (int)Math.Floor(set.Coords[2 * i + 1] + 0.5);
                Assert.Equal(set.Labels[i] == 1, square[py * w + px]);
            }
            int n = set.PointsPerPrompt;
            for (int p = 0; p < set.Count; p++)   // negative: 1 -> the last point of every prompt is negative
                Assert.Equal(Enumerable.Repeat(1L, n - 1).Append(0L), set.Labels.Skip(p * n).Take(n));
        }
        var boxes = SamPromptSampler.Sample(DeterministicRandom.Fork(1, 0), [square], background, h, w, options with { Box = 1 }, 32);
        Assert.Equal(SamPromptKind.Box, boxes.Kind);
        Assert.False(boxes.Multimask);
        for (int p = 0; p < boxes.Count; p++)
        {
            var b = boxes.Boxes.AsSpan(p * 4, 4).ToArray();
            Assert.InRange(b[0], 6 - 1.0, 6 + 1.0);   // noise: 10% of the side, capped at 20/1024 of 32 px
            Assert.InRange(b[3], 11 - 1.0, 11 + 1.0);
        }
        var onBackground = SamPromptSampler.Sample(DeterministicRandom.Fork(2, 0), [square], background, h, w,
            options with { Point = 1, Background = 1 }, 32);
        Assert.True(onBackground.Multimask);
        Assert.All(onBackground.Targets, t => Assert.Equal(-1, t));
    }

    [Fact]
    public void Losses_vanish_for_a_confident_correct_mask()
    {
        var target = zeros(1, 1, 8, 8);
        target[0, 0, 2..5, 2..6] = tensor(1f);
        var right = (target * 2 - 1) * 20;
        Assert.True(SamLosses.Focal(right, target).item<float>() < 1e-6);
        Assert.True(SamLosses.Dice(right, target).item<float>() < 1e-3);
        Assert.Equal(1f, SegmentationMetrics.MaskIou(right, target).item<float>());
        Assert.Equal(0f, SegmentationMetrics.MaskIou(-right, target).item<float>());
        Assert.True(SamLosses.Focal(-right, target).item<float>() > 1);
    }

    [Fact]
    public void Interior_point_of_a_ring_lies_on_the_ring()
    {
        const int n = 21;
        var ring = new bool[n * n];
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
            {
                double r = Math.Sqrt((x - 10) * (x - 10) + (y - 10) * (y - 10));
                ring[y * n + x] = r is >= 5 and <= 9;
            }
        var (px, py) = MaskInteriorPoint.Find(ring, n, n);
        Assert.True(ring[py * n + px]);
        double d = Math.Sqrt((px - 10) * (px - 10) + (py - 10) * (py - 10));
        Assert.InRange(d, 6, 8);
        var square = new bool[n * n];
        for (int y = 3; y < 14; y++) for (int x = 3; x < 14; x++) square[y * n + x] = true;
        Assert.Equal((8, 8), MaskInteriorPoint.Find(square, n, n));
        Assert.Throws<BadInputException>(() => MaskInteriorPoint.Find(new bool[4], 2, 2));
    }
}
