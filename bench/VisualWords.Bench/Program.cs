using VisualWords.Bench;

// Heavy, full-size measurements (not unit tests). One entry per area: `dotnet run -c Release -- <name> ...`.
var benches = new Dictionary<string, Func<string[], int>>
{
    ["sam"] = SamBench.Run,
    ["sam-blocks"] = SamBlocksBench.Run,
};
if (args.Length == 0 || !benches.TryGetValue(args[0], out var bench))
{
    Console.Error.WriteLine($"usage: VisualWords.Bench <{string.Join("|", benches.Keys)}> [options]");
    return 2;
}
return bench(args[1..]);
