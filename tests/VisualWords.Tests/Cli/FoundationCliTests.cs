using System.Text.Json;

namespace VisualWords.Tests.Cli;

[Collection(CliCollection.Name)]
public class FoundationCliTests
{
    [Fact]
    public void Info_prints_versions_and_devices()
    {
        var (code, output, _) = CliRunner.Run("info", "--threads", "1");
        Assert.Equal(0, code);
        Assert.Contains("TorchSharp", output);
        Assert.Contains("libtorch", output);
        Assert.Contains("2.10", output);
        Assert.Contains("cpu", output);
    }

    [Fact]
    public void Cuda_on_a_cpu_build_and_bad_threads_are_bad_input()
    {
        var (code, _, err) = CliRunner.Run("info", "--device", "cuda");
        Assert.Equal(2, code);
        Assert.Contains("TorchBackend=cuda", err);
        Assert.Equal(2, CliRunner.Run("info", "--threads", "0").Code);
        Assert.Equal(2, CliRunner.Run("no-such-command").Code);
    }

    [Fact]
    public void Checkpoint_inspect_lists_keys_as_json()
    {
        var (code, output, _) = CliRunner.Run("checkpoint", "inspect", Fixtures.Path("checkpoints", "tiny_nested.pth"), "--json", "-");
        Assert.Equal(0, code);
        var doc = JsonDocument.Parse(output).RootElement;
        Assert.Equal("TorchZip", doc.GetProperty("format").GetString());
        Assert.Equal(10, doc.GetProperty("tensor_count").GetInt32());
        Assert.Equal(72, doc.GetProperty("parameter_count").GetInt64());
        var t = doc.GetProperty("tensors").EnumerateArray().First(x => x.GetProperty("name").GetString() == "bf16.weight");
        Assert.Equal("bf16", t.GetProperty("dtype").GetString());
        Assert.Equal(new long[] { 2, 3 }, t.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()));

        var (tc, table, _) = CliRunner.Run("checkpoint", "inspect", Fixtures.Path("checkpoints", "tiny_state_dict.pth"));
        Assert.Equal(0, tc);
        Assert.Contains("transposed", table);
        Assert.Contains("[6, 4]", table);
    }

    [Fact]
    public void Checkpoint_inspect_of_a_truncated_file_exits_2_with_one_line()
    {
        using var dir = Fixtures.TempDir();
        var bytes = File.ReadAllBytes(Fixtures.Path("checkpoints", "tiny_nested.pth"));
        File.WriteAllBytes(dir.File("cut.pth"), bytes[..1000]);
        var (code, _, err) = CliRunner.Run("checkpoint", "inspect", dir.File("cut.pth"));
        Assert.Equal(2, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("cut.pth", err);
    }
}
