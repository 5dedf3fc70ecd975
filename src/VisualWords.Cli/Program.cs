using System.CommandLine;
using VisualWords.Cli;
using VisualWords.Cli.Commands;

var root = new RootCommand("VisualWords: referring image segmentation with semantic visual words (TorchSharp).");
root.Options.Add(GlobalOptions.Threads);
root.Options.Add(GlobalOptions.Device);

root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(CheckpointCommand.Create());

return Cli.Run(root, args);
