namespace VisualWords.Tests;

/// <summary>Paths of committed test fixtures (tests/fixtures is copied next to the test binaries).</summary>
public static class Fixtures
{
    public static string Path(params string[] parts) =>
        System.IO.Path.Combine(new[] { AppContext.BaseDirectory, "fixtures" }.Concat(parts).ToArray());

    /// <summary>The repository root (the folder with VisualWords.slnx above the test binaries).</summary>
    public static string RepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d != null && !File.Exists(System.IO.Path.Combine(d.FullName, "VisualWords.slnx"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("repository root not found above the test binaries");
    }

    /// <summary>The shipped model, models/visualwords-shapes.</summary>
    public static string ShippedModel() => System.IO.Path.Combine(RepoRoot(), "models", "visualwords-shapes");

    /// <summary>A fresh temporary directory, deleted with the returned handle.</summary>
    public static TempDir TempDir() => new();
}

public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "vw-test-" + Guid.NewGuid().ToString("N")[..12]);
    public TempDir() => Directory.CreateDirectory(Path);
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
