using System.Text.Json;
using VisualWords.Checkpoints;
using static TorchSharp.torch;

namespace VisualWords.Tests.Checkpoints;

public class CheckpointLoadingTests
{
    static readonly JsonElement Expected =
        JsonDocument.Parse(File.ReadAllText(Fixtures.Path("checkpoints", "tiny_expected.json"))).RootElement;

    [Theory]
    [InlineData("tiny_state_dict.pth")]
    [InlineData("tiny_nested.pth")]
    public void Pth_written_by_pytorch_loads_with_exact_values(string file)
    {
        using var sd = Checkpoint.Load(Fixtures.Path("checkpoints", file));
        Assert.Equal(Expected.EnumerateObject().Select(p => p.Name), sd.Keys);
        foreach (var p in Expected.EnumerateObject())
        {
            var t = sd[p.Name];
            Assert.Equal(p.Value.GetProperty("dtype").GetString(), DtypeName(t.dtype));
            Assert.Equal(p.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()), t.shape);
            if (t.dtype == ScalarType.Bool)
                Assert.Equal(p.Value.GetProperty("values").EnumerateArray().Select(x => x.GetBoolean()), t.flatten().data<bool>().ToArray());
            else
                Assert.Equal(p.Value.GetProperty("values").EnumerateArray().Select(x => x.GetDouble()),
                    t.to(ScalarType.Float64).flatten().data<double>().ToArray());
        }
    }

    [Fact]
    public void Safetensors_round_trip_is_exact()
    {
        using var dir = Fixtures.TempDir();
        using var sd = Checkpoint.Load(Fixtures.Path("checkpoints", "tiny_state_dict.pth"));
        var path = dir.File("tiny.safetensors");
        Checkpoint.SaveSafetensors(path, sd, new Dictionary<string, string> { ["format"] = "pt" });
        using var back = Checkpoint.Load(path);
        Assert.Equal(sd.Keys, back.Keys);
        foreach (var (k, t) in sd)
        {
            Assert.Equal(t.dtype, back[k].dtype);
            Assert.Equal(t.shape, back[k].shape);
            Assert.True(TensorAssert.Same(t, back[k]), $"{k} differs after the round trip");
        }
        Assert.Equal("pt", SafetensorsFile.ReadMetadata(path)["format"]);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Sharded_index_and_hf_folder_load_all_shards()
    {
        using var dir = Fixtures.TempDir();
        using var a = Checkpoint.Load(Fixtures.Path("checkpoints", "tiny_state_dict.pth"));
        var keys = a.Keys.ToList();
        Checkpoint.SaveSafetensors(dir.File("model-00001-of-00002.safetensors"), a.Where(kv => keys.IndexOf(kv.Key) < 4));
        Checkpoint.SaveSafetensors(dir.File("model-00002-of-00002.safetensors"), a.Where(kv => keys.IndexOf(kv.Key) >= 4));
        var map = keys.ToDictionary(k => k, k => keys.IndexOf(k) < 4 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
        File.WriteAllText(dir.File("model.safetensors.index.json"), JsonSerializer.Serialize(new { metadata = new { }, weight_map = map }));

        using var viaFolder = Checkpoint.Load(dir.Path);
        Assert.Equal(keys.OrderBy(k => k), viaFolder.Keys.OrderBy(k => k));
        Assert.True(TensorAssert.Same(a["transposed"], viaFolder["transposed"]));
        var summary = Checkpoint.Inspect(dir.Path);
        Assert.Equal(CheckpointFormat.ShardedSafetensors, summary.Format);
        Assert.Equal(a.ParameterCount, summary.ParameterCount);

        File.Delete(dir.File("model-00002-of-00002.safetensors"));
        var e = Assert.Throws<BadInputException>(() => Checkpoint.Load(dir.Path));
        Assert.Contains("model-00002-of-00002.safetensors", e.Message);
    }

    [Fact]
    public void Truncated_and_non_checkpoint_files_give_clear_errors()
    {
        using var dir = Fixtures.TempDir();
        var pth = File.ReadAllBytes(Fixtures.Path("checkpoints", "tiny_state_dict.pth"));
        File.WriteAllBytes(dir.File("cut.pth"), pth[..(pth.Length / 2)]);
        Assert.Contains("truncated or corrupt", Assert.Throws<BadInputException>(() => Checkpoint.Load(dir.File("cut.pth"))).Message);

        using (var sd = Checkpoint.Load(Fixtures.Path("checkpoints", "tiny_state_dict.pth")))
            Checkpoint.SaveSafetensors(dir.File("ok.safetensors"), sd);
        var st = File.ReadAllBytes(dir.File("ok.safetensors"));
        File.WriteAllBytes(dir.File("cut.safetensors"), st[..(st.Length - 10)]);
        Assert.Contains("truncated", Assert.Throws<BadInputException>(() => Checkpoint.Load(dir.File("cut.safetensors"))).Message);

        File.WriteAllText(dir.File("notes.bin"), "hello, I am not a checkpoint");
        Assert.Contains("not a checkpoint", Assert.Throws<BadInputException>(() => Checkpoint.Load(dir.File("notes.bin"))).Message);
        Assert.Contains("not found", Assert.Throws<BadInputException>(() => Checkpoint.Load(dir.File("absent.pth"))).Message);
    }

    static string DtypeName(ScalarType t) => t switch
    {
        ScalarType.Float32 => "float32", ScalarType.Float16 => "float16", ScalarType.BFloat16 => "bfloat16",
        ScalarType.Int64 => "int64", ScalarType.Bool => "bool", _ => t.ToString(),
    };
}
