using System.CommandLine;
using Spectre.Console;
using TorchSharp;
using VisualWords.Runtime;

namespace VisualWords.Cli.Commands;

public static class InfoCommand
{
    public static Command Create()
    {
        var cmd = new Command("info", "Print versions, threads, devices and CPU features.");
        cmd.SetAction(r =>
        {
            GlobalOptions.Apply(r);
            var t = new Table().AddColumn("what").AddColumn("value");
            t.AddRow("VisualWords", TorchRuntime.VisualWordsVersion);
            t.AddRow("TorchSharp", TorchRuntime.TorchSharpVersion + $" ({TorchRuntime.Backend} build)");
            t.AddRow("libtorch", TorchRuntime.LibTorchVersion);
            t.AddRow(".NET", Environment.Version.ToString());
            t.AddRow("threads", $"{torch.get_num_threads()} intra-op / {torch.get_num_interop_threads()} inter-op");
            t.AddRow("devices", torch.cuda.is_available() ? $"cpu, cuda x{torch.cuda.device_count()}" : "cpu");
            t.AddRow("cpu", $"{Environment.ProcessorCount} logical cores; {string.Join(' ', TorchRuntime.CpuFeatures())}");
            AnsiConsole.Write(t);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
