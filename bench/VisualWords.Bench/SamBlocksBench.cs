using System.Diagnostics;
using TorchSharp;
using VisualWords.Sam;
using static TorchSharp.torch;

namespace VisualWords.Bench;

/// <summary>
/// One vit_b global block and one windowed block on a 64 x 64 x 768 input, wall and process CPU
/// time (best of N): where the encoder's time goes. Usage: sam-blocks [--threads N] [--reps N]
/// </summary>
public static class SamBlocksBench
{
    public static int Run(string[] args)
    {
        int i = Array.IndexOf(args, "--threads");
        if (i >= 0) torch.set_num_threads(int.Parse(args[i + 1]));
        int r = Array.IndexOf(args, "--reps");
        int reps = r >= 0 ? int.Parse(args[r + 1]) : 3;
        if (Environment.GetEnvironmentVariable("VW_NO_HEAP_TUNING") != "1") VisualWords.Runtime.NativeHeap.KeepFreedMemory();
        using var _ = torch.no_grad();
        torch.manual_seed(0);
        using var x = torch.randn(1, 64, 64, 768);
        foreach (var (name, window) in new[] { ("global", 0), ("window14", 14) })
        {
            using var block = new ViTBlock(768, 12, 4.0, true, true, window, 64, 1e-6);
            foreach (var p in block.parameters()) p.normal_(0, 0.02);
            block.eval();
            double bestWall = double.MaxValue, bestCpu = double.MaxValue;
            for (int k = 0; k < reps; k++)
            {
                var proc = Process.GetCurrentProcess();
                var cpu0 = proc.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                using var y = block.forward(x);
                bestWall = Math.Min(bestWall, sw.Elapsed.TotalSeconds);
                proc.Refresh();
                bestCpu = Math.Min(bestCpu, (proc.TotalProcessorTime - cpu0).TotalSeconds);
            }
            Console.WriteLine($"{name}: wall {bestWall:F3} s, cpu {bestCpu:F3} s (best of {reps}, {torch.get_num_threads()} threads)");
        }
        return 0;
    }
}
