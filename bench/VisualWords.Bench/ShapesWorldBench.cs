using System.Diagnostics;
using VisualWords.Data;

namespace VisualWords.Bench;

/// <summary>
/// ShapesWorld throughput on one thread: scene sampling + masks + expressions, PNG rendering, and
/// the whole writer (files included), in the same run.
/// </summary>
public static class ShapesWorldBench
{
    public static readonly BenchRegistry.Entry Entry = new("shapes", "ShapesWorld images/minute on one thread: generation, PNG, and full writer", Run);

    public static int Run(string[] args)
    {
        int count = BenchArgs.Int(args, "--count", 1000);
        int size = BenchArgs.Int(args, "--size", 256);
        var options = new ShapesWorldOptions { Size = size };
        ShapesWorldGenerator.Generate(0, 0, options); // warm-up (JIT, Skia)

        var watch = Stopwatch.StartNew();
        var images = new List<ShapesImage>(count);
        for (int i = 0; i < count; i++) images.Add(ShapesWorldGenerator.Generate(1, i, options));
        double generate = watch.Elapsed.TotalSeconds;

        watch.Restart();
        long bytes = 0;
        foreach (var img in images) bytes += ShapesRenderer.EncodePng(img.Scene).Length;
        double png = watch.Elapsed.TotalSeconds;

        var dir = Directory.CreateTempSubdirectory("vw-shapes-bench-");
        try
        {
            var summary = ShapesWorldWriter.Write(dir.FullName, count, 1, options, threads: 1);
            Console.WriteLine($"# ShapesWorld, {count} images of {size}x{size}, 1 thread");
            Console.WriteLine("| stage | s | images/min |");
            Console.WriteLine("|---|---:|---:|");
            Console.WriteLine($"| scene + masks + expressions | {generate:F2} | {count / generate * 60:F0} |");
            Console.WriteLine($"| render + PNG encode | {png:F2} | {count / png * 60:F0} |");
            Console.WriteLine($"| writer (all of it, files, JSON) | {summary.Seconds:F2} | {count / summary.Seconds * 60:F0} |");
            Console.WriteLine($"PNG {bytes / count / 1024.0:F1} KiB/image; {summary.Sentences} sentences ({(double)summary.Sentences / count:F1}/image)");
        }
        finally { dir.Delete(recursive: true); }
        return 0;
    }
}
