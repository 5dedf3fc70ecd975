using System.Text.Json;
using VisualWords.Checkpoints;
using static TorchSharp.torch;

namespace VisualWords.Tests.Vision;

static class VisionFixtures
{
    public static string Path(string name) => Fixtures.Path("vision", name);

    public static StateDict Load(string name) => Checkpoint.Load(Path(name));

    public static void AssertClose(Tensor expected, Tensor actual, double tol = 1e-4)
    {
        var diff = TensorAssert.MaxAbsDiff(expected, actual);
        Assert.True(diff <= tol, $"max |diff| = {diff:g3} > {tol:g3}");
    }

    /// <summary>key → shape from a manifest JSON written by tools/parity/vision_goldens.py.</summary>
    public static Dictionary<string, long[]> Manifest(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path(name)));
        return doc.RootElement.GetProperty("keys").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(e => e.GetInt64()).ToArray());
    }
}
