using VisualWords.Cli;

Term.UseProcessConsoles();
return Cli.Run(CliApp.Build(), args);
