using System.Reflection;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace VisualWords.Runtime;

/// <summary>Process-wide torch settings chosen once at start-up (threads, device) and version facts.</summary>
public static class TorchRuntime
{
    public static string VisualWordsVersion =>
        typeof(TorchRuntime).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?";

    public static string TorchSharpVersion =>
        typeof(torch).Assembly.GetName().Version?.ToString() ?? "?";

    /// <summary>The libtorch version TorchSharp was built against (loads the native library).</summary>
    public static string LibTorchVersion => torch.__version__;

#if TORCH_CUDA
    public static readonly string Backend = "cuda";
#else
    public static readonly string Backend = "cpu";
#endif

    /// <summary>Parses "cpu" / "cuda" / "cuda:N" and fails with a clear message where it cannot run.</summary>
    public static Device ResolveDevice(string name)
    {
        name = name.Trim().ToLowerInvariant();
        if (name == "cpu") return CPU;
        if (name.StartsWith("cuda"))
        {
            if (Backend != "cuda")
                throw new BadInputException(
                    "--device cuda needs a CUDA build: this binary uses TorchSharp-cpu. Rebuild with " +
                    "'dotnet build -p:TorchBackend=cuda' on a machine whose NuGet source serves TorchSharp-cuda-linux.");
            if (!cuda.is_available())
                throw new BadInputException("--device cuda: no CUDA device is visible to libtorch on this machine.");
            return new Device(name);
        }
        throw new BadInputException($"unknown device '{name}': use cpu or cuda[:N]");
    }

    public static void SetThreads(int threads)
    {
        if (threads < 1) throw new BadInputException($"--threads must be at least 1 (got {threads})");
        torch.set_num_threads(threads);
    }

    /// <summary>What <c>visualwords info</c> prints (and benchmark reports record): versions, threads, devices, CPU.</summary>
    public static IReadOnlyList<(string What, string Value)> Describe() =>
    [
        ("VisualWords", VisualWordsVersion),
        ("TorchSharp", TorchSharpVersion + $" ({Backend} build)"),
        ("libtorch", LibTorchVersion),
        (".NET", Environment.Version.ToString()),
        ("threads", $"{torch.get_num_threads()} intra-op / {torch.get_num_interop_threads()} inter-op"),
        ("devices", torch.cuda.is_available() ? $"cpu, cuda x{torch.cuda.device_count()}" : "cpu"),
        ("cpu", $"{Environment.ProcessorCount} logical cores; {string.Join(' ', CpuFeatures())}"),
    ];

    public static IReadOnlyList<string> CpuFeatures()
    {
        var f = new List<string>();
        if (Sse42.IsSupported) f.Add("sse4.2");
        if (Avx.IsSupported) f.Add("avx");
        if (Avx2.IsSupported) f.Add("avx2");
        if (Fma.IsSupported) f.Add("fma");
        if (Avx512F.IsSupported) f.Add("avx512f");
        if (Avx512BW.IsSupported) f.Add("avx512bw");
        if (AvxVnni.IsSupported) f.Add("avx-vnni");
        if (System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported) f.Add("neon");
        return f;
    }
}
