using BenchmarkDotNet.Running;
using VisualWords.Bench;

// Two kinds of benchmarks live here:
//  * comparisons against the official Python code, run in the same process run so the ratio is
//    measured under the same machine load:  dotnet run -c Release --project bench/VisualWords.Bench -- <name> [options]
//  * BenchmarkDotNet micro-benchmarks:       dotnet run -c Release --project bench/VisualWords.Bench -- bdn [--filter *]
if (args.Length > 0 && args[0] == "bdn")
{
    BenchmarkSwitcher.FromAssembly(typeof(BenchRegistry).Assembly).Run(args[1..]);
    return 0;
}
return BenchRegistry.Run(args);
