using System.Security.Cryptography;
using TorchSharp;
using static TorchSharp.torch;

namespace VisualWords.Tests.Foundation;

public class TorchNativeTests
{
    // SHA-256 of libLibTorchSharp.so as shipped in TorchSharp 0.107.0 (runtimes/linux-x64/native).
    const string PristineSha256 = "cf33b1b0bb6bbb9754a768fb5c5d04d9f498603be50e73f55621a0b40ee608b8";

    [Fact]
    public void Torch_loads_and_computes_in_the_test_project()
    {
        using var a = arange(6, dtype: ScalarType.Float32).view(2, 3);
        using var b = a.matmul(a.t());
        Assert.Equal(new float[] { 5, 14, 14, 50 }, b.data<float>().ToArray());
        Assert.StartsWith("2.", torch.__version__);
    }

    [Fact]
    public void Output_copy_is_patched_and_the_NuGet_cache_copy_is_untouched()
    {
        if (!OperatingSystem.IsLinux()) return;
        var output = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        Assert.True(File.Exists(output), "libLibTorchSharp.so should be in the test output folder");
        var cache = Path.Combine(NuGetRoot(), "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(cache), $"NuGet cache copy not found at {cache}");

        Assert.Equal(PristineSha256, Sha256(cache));
        var hostMax = HostMaxGlibcxx();
        if (hostMax < 32)
        {
            Assert.NotEqual(PristineSha256, Sha256(output));
            var text = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(output));
            // The version-name entry of .dynstr (a NUL-delimited string of its own) is renamed; the
            // static symbol table's "symbol@GLIBCXX_3.4.32" text is informational and stays.
            // (Ordinal: culture-aware comparison ignores the NUL characters.)
            Assert.False(text.Contains("\0GLIBCXX_3.4.32\0", StringComparison.Ordinal));
            Assert.True(text.Contains($"\0GLIBCXX_3.4.{hostMax}\0", StringComparison.Ordinal));
            Assert.True(System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(cache)).Contains("\0GLIBCXX_3.4.32\0", StringComparison.Ordinal));
        }
        else
        {
            Assert.Equal(PristineSha256, Sha256(output)); // nothing to patch on a new enough host
        }
        Assert.Empty(Directory.GetDirectories(AppContext.BaseDirectory, "cpu")); // no fallback native copy happened
    }

    static string NuGetRoot() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    static string Sha256(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }

    static int HostMaxGlibcxx()
    {
        var lib = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }.First(File.Exists);
        var text = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(lib));
        return System.Text.RegularExpressions.Regex.Matches(text, @"GLIBCXX_3\.4\.(\d+)").Max(m => int.Parse(m.Groups[1].Value));
    }
}
