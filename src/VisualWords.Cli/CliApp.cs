using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using VisualWords.Cli.Commands;

namespace VisualWords.Cli;

/// <summary>The command tree of <c>visualwords</c>; one line per command.</summary>
public static class CliApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand("VisualWords: referring image segmentation with semantic visual words (TorchSharp).");
        root.Options.Add(GlobalOptions.Threads);
        root.Options.Add(GlobalOptions.Device);

        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(CheckpointCommand.Create());
        root.Subcommands.Add(SamCommand.Create());
        root.Subcommands.Add(SuperpixelsCommand.Create());
        root.Subcommands.Add(PrecomputeCommand.Create());
        root.Subcommands.Add(DataCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(SamEvalCommand.Create());
        root.Subcommands.Add(SegmentCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(LlmCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        foreach (var help in root.Options.OfType<HelpOption>())
            if (help.Action is SynchronousCommandLineAction inner) help.Action = new HelpWithEpilogue(inner);
        return root;
    }

    /// <summary>Every --help ends with the exit codes and the environment variables (VW_DEBUG, NO_COLOR).</summary>
    sealed class HelpWithEpilogue(SynchronousCommandLineAction inner) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            int code = inner.Invoke(parseResult);
            parseResult.InvocationConfiguration.Output.WriteLine(Cli.DebugEpilogue);
            return code;
        }
    }
}
