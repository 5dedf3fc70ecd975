namespace VisualWords.Bench;

/// <summary>"--name value" options of the comparison benchmarks.</summary>
public static class BenchArgs
{
    public static string? Get(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public static int Int(string[] args, string name, int fallback) =>
        int.TryParse(Get(args, name), out var v) ? v : fallback;
}
