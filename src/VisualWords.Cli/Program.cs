using VisualWords.Cli;

return Cli.Run(CliApp.Build(), args);
