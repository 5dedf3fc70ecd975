using System.CommandLine;
using Spectre.Console;
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
            foreach (var (what, value) in TorchRuntime.Describe()) t.AddRow(Markup.Escape(what), Markup.Escape(value));
            AnsiConsole.Write(t);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
