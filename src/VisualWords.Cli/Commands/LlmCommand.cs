using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using VisualWords.Language;
using static TorchSharp.torch;

namespace VisualWords.Cli.Commands;

/// <summary><c>visualwords llm</c>: load a Hugging Face LLaMA folder (optionally with a LoRA adapter) and continue a prompt.</summary>
public static class LlmCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "Hugging Face LLaMA folder: config.json + model.safetensors[.index.json] or pytorch_model[-*].bin[.index.json].",
            Required = true,
        };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "SentencePiece tokenizer.model (default: the one in --model)." };
        var prompt = new Option<string?>("--prompt") { Description = "Text to continue (BOS is added)." };
        var promptIds = new Option<string?>("--prompt-ids") { Description = "Comma-separated token ids to continue instead of --prompt (no tokenizer needed)." };
        var chat = new Option<bool>("--chat") { Description = "Wrap --prompt as a user turn of the LLaVA v1 template and let the assistant answer." };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Stop after this many new tokens.", DefaultValueFactory = _ => 64 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy; > 0 samples from softmax(logits / T).", DefaultValueFactory = _ => 0.0 };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling mass in (0, 1] (with --temperature > 0).", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<long?>("--seed") { Description = "Random seed for sampling." };
        var dtype = new Option<string>("--dtype") { Description = "Compute dtype: float32 or bfloat16.", DefaultValueFactory = _ => "float32" };
        var lora = new Option<string?>("--lora") { Description = "PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors), merged after loading." };
        var json = new Option<string?>("--json") { Description = "Also write ids, text and timings_ms as JSON ('-' = stdout; the text then goes to stderr)." };

        var cmd = new Command("llm", "Continue a prompt with a LLaMA / Vicuna checkpoint (KV-cached greedy or top-p decoding).");
        foreach (var o in new Option[] { model, tokenizer, prompt, promptIds, chat, maxNew, temperature, topP, seed, dtype, lora, json })
            cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var device = GlobalOptions.Apply(r);
            var type = r.GetValue(dtype) switch
            {
                "float32" => ScalarType.Float32,
                "bfloat16" => ScalarType.BFloat16,
                var other => throw new BadInputException($"--dtype must be float32 or bfloat16 (got '{other}')"),
            };
            if ((r.GetValue(prompt) is null) == (r.GetValue(promptIds) is null))
                throw new BadInputException("give exactly one of --prompt and --prompt-ids");
            var options = new GenerationOptions
            {
                MaxNewTokens = r.GetValue(maxNew), Temperature = r.GetValue(temperature), TopP = r.GetValue(topP), Seed = r.GetValue(seed),
            }.Validate();

            var modelDir = r.GetValue(model)!;
            using var outputs = new OutputFiles().Input(modelDir).File("--json", r.GetValue(json), allowStdout: true);
            var say = outputs.UsesStdout ? Console.Error : Console.Out;
            LlamaTextTokenizer? tok = null;
            IReadOnlyList<int> ids;
            if (r.GetValue(promptIds) is { } raw)
            {
                ids = ParseIds(raw);
                if (r.GetValue(tokenizer) is { } tokPath) tok = LlamaTextTokenizer.Load(tokPath); // only to print the text
            }
            else
            {
                tok = LlamaTextTokenizer.Load(r.GetValue(tokenizer) ?? modelDir);
                var text = r.GetValue(prompt)!;
                ids = tok.Encode(r.GetValue(chat) ? ConversationTemplate.LlavaV1.Prompt(text) : text);
            }
            if (ids.Count == 0) throw new BadInputException("the prompt has no tokens");

            var clock = Stopwatch.StartNew();
            LlamaForCausalLM? llm = null;
            Term.Err.Status().Start("loading model", _ =>
            {
                llm = LlamaCheckpoint.Load(modelDir, type, device);
                if (r.GetValue(lora) is { } adapter) { Lora.Load(llm, adapter); Lora.Merge(llm); }
                llm.eval();
            });
            double load = clock.Elapsed.TotalSeconds;
            using var m = llm!;
            options = options with { StopTokens = [m.Config.EosTokenId] };
            clock.Restart();
            GenerationResult result;
            using (no_grad())
            using (var prompt_ = tensor(ids.Select(i => (long)i).ToArray(), device: device).unsqueeze(0))
            using (var embeds = m.Embed(prompt_))
                result = Generation.Generate(m, embeds, options);
            double gen = clock.Elapsed.TotalSeconds;
            var newIds = result.Tokens[0];
            var decoded = tok?.Decode(newIds);

            if (decoded is not null) say.WriteLine(decoded);
            say.WriteLine($"ids: {string.Join(",", newIds)}");
            Console.Error.WriteLine($"{ids.Count} prompt + {newIds.Count} new tokens; load {load:F2} s, generate {gen:F2} s ({newIds.Count / Math.Max(gen, 1e-9):F1} tokens/s)");
            if (r.GetValue(json) is { } path)
            {
                var doc = new { prompt_ids = ids, new_ids = newIds, text = decoded, timings_ms = new { load = load * 1000, generate = gen * 1000 } };
                outputs.WriteText(path, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
            }
            outputs.Commit();
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static IReadOnlyList<int> ParseIds(string raw)
    {
        var ids = new List<int>();
        foreach (var part in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) || id < 0)
                throw new BadInputException($"--prompt-ids: '{part}' is not a non-negative integer");
            ids.Add(id);
        }
        return ids;
    }
}
