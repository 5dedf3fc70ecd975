using System.IO.Compression;
using System.Text;
using VisualWords.Checkpoints;

namespace VisualWords.Tests.Checkpoints;

public class MaliciousPickleTests
{
    /// <summary>protocol-2 pickle of <c>module.name(arg)</c>, i.e. what a __reduce__ exploit writes.</summary>
    static byte[] ReducePickle(string module, string name, string arg)
    {
        var ms = new MemoryStream();
        ms.Write([0x80, 2]);
        ms.Write(Encoding.ASCII.GetBytes($"c{module}\n{name}\n"));
        var a = Encoding.UTF8.GetBytes(arg);
        ms.WriteByte((byte)'X');
        ms.Write(BitConverter.GetBytes(a.Length));
        ms.Write(a);
        ms.Write([0x85, (byte)'R', (byte)'.']);
        return ms.ToArray();
    }

    static void WriteTorchZip(string path, byte[] dataPkl)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using (var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open()) s.Write(dataPkl);
        using (var s = zip.CreateEntry("archive/version").Open()) s.Write("3\n"u8);
    }

    [Theory]
    [InlineData("os", "system")]
    [InlineData("posix", "system")]
    [InlineData("builtins", "eval")]
    [InlineData("builtins", "exec")]
    [InlineData("subprocess", "call")]
    public void Checkpoint_naming_a_dangerous_global_is_refused_and_nothing_runs(string module, string name)
    {
        using var dir = Fixtures.TempDir();
        var marker = dir.File("pwned");
        var payload = name is "eval" or "exec" ? $"open('{marker}','w').write('x')" : $"touch {marker}";
        WriteTorchZip(dir.File("evil.pth"), ReducePickle(module, name, payload));

        var e = Assert.Throws<BadInputException>(() => Checkpoint.Load(dir.File("evil.pth")));
        Assert.Contains($"{module}.{name}", e.Message);
        Assert.Throws<BadInputException>(() => Checkpoint.Inspect(dir.File("evil.pth")));
        Assert.False(File.Exists(marker), "the payload must never run");
    }

    [Fact]
    public void Plain_pickle_refuses_globals_and_reads_containers()
    {
        var evil = ReducePickle("os", "system", "true");
        Assert.Contains("os.system", Assert.Throws<BadInputException>(() => SafePickle.LoadPlain(new MemoryStream(evil))).Message);

        // [{'sent': 'a dog', 'id': 7, 'box': (1.5, 2)}, None, True] in protocol 2
        var ok = new MemoryStream();
        ok.Write([0x80, 2, (byte)']', (byte)'(', (byte)'}', (byte)'(']);
        void Str(string s) { var b = Encoding.UTF8.GetBytes(s); ok.WriteByte((byte)'X'); ok.Write(BitConverter.GetBytes(b.Length)); ok.Write(b); }
        Str("sent"); Str("a dog"); Str("id"); ok.Write([(byte)'K', 7]); Str("box");
        ok.WriteByte((byte)'G'); ok.Write(BitConverter.GetBytes(1.5).Reverse().ToArray()); ok.Write([(byte)'K', 2, 0x86]);
        ok.Write([(byte)'u', (byte)'N', 0x88, (byte)'e', (byte)'.']);
        ok.Position = 0;
        var list = Assert.IsType<List<object?>>(SafePickle.LoadPlain(ok));
        var d = Assert.IsType<PickleDict>(list[0]);
        Assert.Equal("a dog", d["sent"]);
        Assert.Equal(7L, d["id"]);
        Assert.Equal(new object?[] { 1.5, 2L }, (object?[])d["box"]!);
        Assert.Null(list[1]);
        Assert.Equal(true, list[2]);
    }

    [Fact]
    public void Truncated_pickle_is_reported()
    {
        var evil = ReducePickle("collections", "OrderedDict", "x");
        Assert.Contains("truncated", Assert.Throws<BadInputException>(() => SafePickle.LoadPlain(new MemoryStream(evil[..10]))).Message);
    }
}
