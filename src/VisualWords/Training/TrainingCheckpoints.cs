using System.Text.Json;
using TorchSharp.Modules;
using static TorchSharp.torch;
using VisualWords.Checkpoints;

namespace VisualWords.Training;

/// <summary>What a training checkpoint records besides the weights.</summary>
public sealed record TrainerState(long Step, double? BestScore, long? BestStep, string ConfigJson);

/// <summary>
/// Checkpoint folders under <c>OUT/checkpoints/step-NNNNNNNN/</c> (model.safetensors, optimizer.bin,
/// trainer.json), each written to a temp folder and renamed into place, so a kill at any moment
/// leaves either the old set or the new one. The last K are kept; <c>OUT/best/</c> holds the best
/// by validation score.
/// </summary>
public sealed class TrainingCheckpoints(string outDir, int keepLast, Action<string>? writeModelFiles = null)
{
    public string Root { get; } = Path.Combine(outDir, "checkpoints");
    public string BestDir { get; } = Path.Combine(outDir, "best");

    static string Name(long step) => $"step-{step:D8}";

    public void Save(long step, nn.Module model, optim.Optimizer optimizer, TrainerState state)
    {
        Directory.CreateDirectory(Root);
        var final = Path.Combine(Root, Name(step));
        var tmp = final + $".tmp-{Environment.ProcessId}";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        Directory.CreateDirectory(tmp);
        WriteModel(model, Path.Combine(tmp, "model.safetensors"));
        writeModelFiles?.Invoke(tmp);
        using (var f = File.Create(Path.Combine(tmp, "optimizer.bin")))
        using (var w = new BinaryWriter(f))
        {
            ((OptimizerHelper)optimizer).save_state_dict(w);
            w.Flush();
            f.Flush(flushToDisk: true);
        }
        File.WriteAllText(Path.Combine(tmp, "trainer.json"), JsonSerializer.Serialize(state));
        if (Directory.Exists(final)) Directory.Delete(final, true);
        Directory.Move(tmp, final);
        Prune();
    }

    public void SaveBest(nn.Module model, TrainerState state)
    {
        var tmp = BestDir + $".tmp-{Environment.ProcessId}";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        Directory.CreateDirectory(tmp);
        WriteModel(model, Path.Combine(tmp, "model.safetensors"));
        writeModelFiles?.Invoke(tmp);
        File.WriteAllText(Path.Combine(tmp, "trainer.json"), JsonSerializer.Serialize(state));
        var old = BestDir + ".old";
        if (Directory.Exists(old)) Directory.Delete(old, true);
        if (Directory.Exists(BestDir)) Directory.Move(BestDir, old);
        Directory.Move(tmp, BestDir);
        if (Directory.Exists(old)) Directory.Delete(old, true);
    }

    /// <summary>The newest complete checkpoint, or null. Leftover temp folders are removed.</summary>
    public string? Latest()
    {
        if (!Directory.Exists(Root)) return null;
        foreach (var t in Directory.GetDirectories(Root, "*.tmp-*")) Directory.Delete(t, true);
        return Directory.GetDirectories(Root, "step-*")
            .Where(d => File.Exists(Path.Combine(d, "trainer.json")))
            .OrderBy(d => d, StringComparer.Ordinal).LastOrDefault();
    }

    /// <summary>The step a checkpoint folder was written after (from its trainer.json).</summary>
    public static long StepOf(string dir)
    {
        try
        {
            return (JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(dir, "trainer.json")))
                ?? throw new BadInputException($"{dir}: trainer.json is empty")).Step;
        }
        catch (JsonException e)
        {
            throw new BadInputException($"{dir}/trainer.json: {JsonErrors.Describe(e)}");
        }
    }

    public static TrainerState Restore(string dir, nn.Module model, optim.Optimizer optimizer)
    {
        using (var sd = Checkpoint.Load(Path.Combine(dir, "model.safetensors")))
            StateDictLoader.LoadInto(model, sd);
        using (var f = File.OpenRead(Path.Combine(dir, "optimizer.bin")))
        using (var r = new BinaryReader(f))
            ((OptimizerHelper)optimizer).load_state_dict(r);
        return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(dir, "trainer.json")))
            ?? throw new BadInputException($"{dir}: trainer.json is empty");
    }

    static void WriteModel(nn.Module model, string path) =>
        Checkpoint.SaveSafetensors(path, model.state_dict());

    void Prune()
    {
        var all = Directory.GetDirectories(Root, "step-*").Where(d => !d.Contains(".tmp-")).OrderBy(d => d, StringComparer.Ordinal).ToList();
        foreach (var d in all.Take(Math.Max(0, all.Count - keepLast))) Directory.Delete(d, true);
    }
}
