using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using VisualWords.Superpixels;

namespace VisualWords.Cli.Commands;

/// <summary>
/// <c>visualwords precompute</c>: superpixels for every image of a folder or dataset, sharded for a
/// cluster (shard I of N takes every N-th image), resumable (finished images are skipped), one file per
/// image written atomically; <c>precompute merge</c> verifies completeness and writes the index.
/// </summary>
public static class PrecomputeCommand
{
    public static Command Create()
    {
        var opts = new SuperpixelOptions();
        var images = new Option<string?>("--images") { Description = "Folder of images (searched recursively)." };
        var refer = new Option<string?>("--refer") { Description = "A refer-format dataset folder (instances.json + images/): every image its annotations use." };
        var shard = new Option<string>("--shard") { Description = "Shard I/N (0-based): process images I, I+N, I+2N, ... (default 0/1).", DefaultValueFactory = _ => "0/1" };
        var output = new Option<string>("--out") { Description = "Output folder (plan.json, superpixels/<image>.json, index.json after merge).", Required = true };

        var cmd = new Command("precompute", "Precompute superpixels for a dataset, sharded and resumable; then 'precompute merge'.");
        cmd.Options.Add(images);
        cmd.Options.Add(refer);
        cmd.Options.Add(shard);
        cmd.Options.Add(output);
        opts.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var device = GlobalOptions.Apply(r);
            var (index, count) = PrecomputePlan.ParseShard(r.GetValue(shard)!);
            string? imageDir = r.GetValue(images), referDir = r.GetValue(refer);
            if ((imageDir is null) == (referDir is null)) throw new BadInputException("give exactly one of --images DIR and --refer DATASET_DIR");
            var (sp, settings, owned) = opts.Build(r, device);
            using var _ = owned;
            var plan = imageDir is not null
                ? PrecomputePlan.ForFolder(imageDir, sp.Name, settings)
                : ReferImages.Plan(referDir!, sp.Name, settings);
            var outDir = r.GetValue(output)!;
            int mine = (plan.Images.Count - index + count - 1) / count;
            var clock = Stopwatch.StartNew();
            PrecomputeShardResult result = null!;
            Term.Err.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new RemainingTimeColumn(), new SpinnerColumn()).Start(ctx =>
            {
                var task = ctx.AddTask($"shard {index}/{count}: {mine} of {plan.Images.Count} images", maxValue: Math.Max(1, mine));
                result = Precompute.RunShard(plan, index, count, outDir, img =>
                {
                    if (sp is SemanticSuperpixelizer s)
                    {
                        var (m, p) = s.Run(img);
                        return (p, m.Count);
                    }
                    return (sp.Partition(img), 0);
                }, (_, _) => task.Increment(1));
            });
            AnsiConsole.MarkupLine($"shard {index}/{count}: {result.Computed} computed, {result.Skipped} already done" +
                (result.Recomputed > 0 ? $", {result.Recomputed} corrupt results computed again" : "") +
                (result.StaleTempsRemoved > 0 ? $", {result.StaleTempsRemoved} stale temp files removed" : "") +
                $" in {clock.Elapsed.TotalSeconds:F1} s");
            if (result.Failed > 0)
                Term.Err.WriteLine($"warning: {result.Failed} image(s) could not be read; reasons in {Precompute.FailedPath(outDir, index, count)}");
            return ExitCodes.Ok;
        });

        var mergeOut = new Option<string>("--out") { Description = "The output folder of the precompute shards.", Required = true };
        var merge = new Command("merge", "Verify that every image of the plan has a valid result and write index.json.");
        merge.Options.Add(mergeOut);
        merge.SetAction(r =>
        {
            GlobalOptions.Apply(r);
            var path = Precompute.Merge(r.GetValue(mergeOut)!);
            AnsiConsole.MarkupLine($"complete: {Markup.Escape(path)}");
            return ExitCodes.Ok;
        });
        cmd.Subcommands.Add(merge);
        return cmd;
    }
}
