using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using VisualWords.Checkpoints;

namespace VisualWords.Cli.Commands;

public static class CheckpointCommand
{
    public static Command Create()
    {
        var cmd = new Command("checkpoint", "Work with checkpoint files (safetensors, PyTorch .pth/.bin, sharded, HF folders).");
        cmd.Subcommands.Add(Inspect());
        return cmd;
    }

    static Command Inspect()
    {
        var path = new Argument<string>("path") { Description = "A checkpoint file, an *.index.json, or a Hugging Face model folder." };
        var json = new Option<string?>("--json") { Description = "Write the summary as a JSON document to this file ('-' = stdout, instead of the tables)." };
        var cmd = new Command("inspect", "Show format, tensor count, parameter count, dtypes, and every key with its shape (reads no tensor data).");
        cmd.Arguments.Add(path);
        cmd.Options.Add(json);
        cmd.SetAction(r =>
        {
            using var outputs = new OutputFiles().Input(r.GetValue(path)).File("--json", r.GetValue(json), allowStdout: true);
            var s = Checkpoint.Inspect(r.GetValue(path)!);
            var dtypes = s.Tensors.GroupBy(t => DTypes.ShortName(t.DType))
                .ToDictionary(g => g.Key, g => new { tensors = g.Count(), parameters = g.Sum(t => t.Numel) });
            if (r.GetValue(json) is { } jsonPath)
            {
                var doc = new
                {
                    path = s.Path,
                    format = s.Format.ToString(),
                    files = s.Files.Select(Path.GetFileName),
                    tensor_count = s.Tensors.Count,
                    parameter_count = s.ParameterCount,
                    dtypes,
                    tensors = s.Tensors.Select(t => new { name = t.Name, dtype = DTypes.ShortName(t.DType), shape = t.Shape }),
                };
                outputs.WriteText(jsonPath, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
                outputs.Commit();
                if (outputs.UsesStdout) return ExitCodes.Ok;
            }
            var head = new Table().HideHeaders().AddColumn("k").AddColumn("v");
            head.AddRow("format", s.Format.ToString());
            head.AddRow("files", Markup.Escape(string.Join(", ", s.Files.Select(Path.GetFileName))));
            head.AddRow("tensors", s.Tensors.Count.ToString("N0"));
            head.AddRow("parameters", s.ParameterCount.ToString("N0"));
            head.AddRow("dtypes", string.Join(", ", dtypes.Select(kv => $"{kv.Key}: {kv.Value.tensors} tensors")));
            AnsiConsole.Write(head);
            var keys = new Table().AddColumn("key").AddColumn("dtype").AddColumn(new TableColumn("shape").RightAligned());
            foreach (var t in s.Tensors) keys.AddRow(Markup.Escape(t.Name), DTypes.ShortName(t.DType), Markup.Escape(t.ShapeText));
            AnsiConsole.Write(keys);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
