using System.IO.Compression;
using System.Text;
using System.Text.Json;
using VisualWords.Checkpoints;
using VisualWords.Data;
using VisualWords.Imaging;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisualWords.Tests.Fuzz;

/// <summary>
/// The parsers that read untrusted files, under a bounded mutation fuzzer seeded from our fixtures.
/// Each test runs a few seconds; VW_FUZZ_SECONDS=N runs each for N seconds instead (the numbers in
/// docs/reliability.md), and VW_FUZZ_REPORT=FILE appends one line per parser to FILE. Inputs that
/// found bugs live in tests/fixtures/fuzz/&lt;parser&gt;/ and are replayed by <see cref="Corpus_inputs_that_found_bugs_stay_fixed"/>.
/// </summary>
public sealed class ParserFuzzTests : IClassFixture<ParserFuzzTests.Seeds>, IDisposable
{
    /// <summary>Seed files made once per class: a small safetensors and a tiny ShapesWorld (JSON refs and instances).</summary>
    public sealed class Seeds : IDisposable
    {
        readonly TempDir _dir = Fixtures.TempDir();
        public string Safetensors { get; }
        public string ShapesDir { get; }

        public Seeds()
        {
            Safetensors = _dir.File("seed.safetensors");
            using (var a = arange(6, ScalarType.Float32).reshape(2, 3))
            using (var b = ones(new long[] { 4 }, ScalarType.Float16))
            using (var c = zeros(new long[] { 2, 2 }, ScalarType.BFloat16))
            using (var d = arange(3, ScalarType.Int64))
                SafetensorsFile.Save(Safetensors, [new("a.weight", a), new("b", b), new("c.bias", c), new("d", d)], new Dictionary<string, string> { ["format"] = "pt" });
            ShapesDir = Path.Combine(_dir.Path, "shapes");
            ShapesWorldWriter.Write(ShapesDir, 3, 7, new ShapesWorldOptions { Size = 32 }, threads: 1);
        }

        public void Dispose() => _dir.Dispose();
    }

    readonly Seeds _seeds;
    readonly ITestOutputHelper _log;
    readonly TempDir _work = Fixtures.TempDir();

    public ParserFuzzTests(ITestOutputHelper log, Seeds seeds) => (_log, _seeds) = (log, seeds);

    public void Dispose() => _work.Dispose();

    static TimeSpan Budget => Environment.GetEnvironmentVariable("VW_FUZZ_SECONDS") is { } s && int.TryParse(s, out int n)
        ? TimeSpan.FromSeconds(n) : TimeSpan.FromSeconds(3);
    static int MaxInputs => Environment.GetEnvironmentVariable("VW_FUZZ_SECONDS") is null ? 2500 : int.MaxValue;

    /// <summary>Every parser under test, by the name its corpus folder has.</summary>
    Action<byte[]> Parser(string name) => name switch
    {
        "image" => bytes => ImageIO.Decode(bytes, "fuzz", maxPixels: 4_000_000),
        "safetensors" => bytes => LoadFile(bytes, "x.safetensors", p => Checkpoint.Load(p).Dispose()),
        "pth" => bytes => LoadFile(bytes, "x.pth", p => Checkpoint.Load(p).Dispose()),
        "pickle" => bytes => SafePickle.LoadPlain(new MemoryStream(bytes)),
        "refer-pickle" => bytes => LoadFile(bytes, "refs(x).p", p => ReferRefsReader.Load(p)),
        "refer-json" => bytes => LoadFile(bytes, "refs(x).json", p => ReferRefsReader.Load(p)),
        "coco-instances" => bytes => LoadFile(bytes, "instances.json", p => CocoInstances.Load(p)),
        "coco-rle" => CocoRle,
        _ => throw new ArgumentException(name),
    };

    IReadOnlyList<byte[]> SeedsOf(string name) => name switch
    {
        "image" => new[] { "gray.png", "gray16.png", "palette.png", "rgba.png", "tiny.bmp", "tiny.webp", "cmyk.jpg", "exif_rot6.jpg" }
            .Select(f => File.ReadAllBytes(Fixtures.Path("images", f))).ToList(),
        "safetensors" => [File.ReadAllBytes(_seeds.Safetensors)],
        "pth" => [File.ReadAllBytes(Fixtures.Path("checkpoints", "tiny_nested.pth")), File.ReadAllBytes(Fixtures.Path("checkpoints", "tiny_state_dict.pth"))],
        "pickle" => [.. PicklesInside(Fixtures.Path("checkpoints", "tiny_nested.pth")), File.ReadAllBytes(Fixtures.Path("refcocog-umd-sample", "refs(umd).p"))],
        "refer-pickle" => [File.ReadAllBytes(Fixtures.Path("refcocog-umd-sample", "refs(umd).p"))],
        "refer-json" => [File.ReadAllBytes(Path.Combine(_seeds.ShapesDir, "refs(shapes).json"))],
        "coco-instances" => [File.ReadAllBytes(Path.Combine(_seeds.ShapesDir, "instances.json"))],
        "coco-rle" => RleSeeds(),
        _ => throw new ArgumentException(name),
    };

    public static readonly TheoryData<string> Parsers = new() { "image", "safetensors", "pth", "pickle", "refer-pickle", "refer-json", "coco-instances", "coco-rle" };

    [Theory]
    [MemberData(nameof(Parsers))]
    public void Mutated_inputs_load_or_are_bad_input(string parser)
    {
        var report = MutationFuzzer.Run(parser, SeedsOf(parser), Parser(parser), Budget, MaxInputs, seed: parser.GetHashCode(StringComparison.Ordinal) & 0xFFFF);
        _log.WriteLine(report.ToString());
        if (Environment.GetEnvironmentVariable("VW_FUZZ_REPORT") is { } reportFile) File.AppendAllText(reportFile, report + Environment.NewLine);
        if (report.Findings.Count > 0)
        {
            var keep = Path.Combine(Path.GetTempPath(), "vw-fuzz-findings", parser);
            Directory.CreateDirectory(keep);
            for (int i = 0; i < report.Findings.Count; i++) File.WriteAllBytes(Path.Combine(keep, $"finding-{i}.bin"), report.Findings[i].Input);
            Assert.Fail($"{report}; inputs kept in {keep}:\n" + string.Join("\n", report.Findings.Select(f => f.Problem).Distinct().Take(10)));
        }
        Assert.True(report.Inputs >= 20, $"only {report.Inputs} inputs in the budget");
        Assert.True(report.Rejected > 0, "no mutated input was rejected: the mutations do not reach the parser");
    }

    [Fact]
    public void Corpus_inputs_that_found_bugs_stay_fixed()
    {
        var root = Fixtures.Path("fuzz");
        int replayed = 0;
        foreach (var dir in Directory.GetDirectories(root))
            foreach (var file in Directory.GetFiles(dir, "*.bin"))
            {
                var (outcome, allocated, _) = MutationFuzzer.RunOne(Parser(Path.GetFileName(dir)), File.ReadAllBytes(file), TimeSpan.FromSeconds(10));
                Assert.True(outcome is null or BadInputException, $"{Path.GetFileName(dir)}/{Path.GetFileName(file)}: {outcome}");
                Assert.True(allocated < 64L << 20, $"{Path.GetFileName(dir)}/{Path.GetFileName(file)}: allocated {allocated / 1e6:F0} MB");
                replayed++;
            }
        Assert.True(replayed > 0, "the corpus is empty");
    }

    void LoadFile(byte[] bytes, string name, Action<string> load)
    {
        var dir = Path.Combine(_work.Path, Environment.CurrentManagedThreadId.ToString());
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        load(path);
    }

    /// <summary>"h w string" lines: a COCO compressed RLE string for an h×w mask, decoded to a mask.</summary>
    static void CocoRle(byte[] bytes)
    {
        var parts = Encoding.Latin1.GetString(bytes).Split(' ', 3);
        if (parts.Length != 3 || !int.TryParse(parts[0], out int h) || !int.TryParse(parts[1], out int w) || h is < 1 or > 4096 || w is < 1 or > 4096)
            throw new BadInputException("not a fuzz RLE record");   // the harness's own framing, not the parser
        var rle = RleString.Decompress(parts[2], h, w);
        RleEncoding.Decode(rle);
    }

    static List<byte[]> RleSeeds()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Fixtures.Path("coco", "mask_goldens.json")));
        return doc.RootElement.GetProperty("polygons").EnumerateArray()
            .Select(p => Encoding.Latin1.GetBytes($"{p.GetProperty("h").GetInt32()} {p.GetProperty("w").GetInt32()} {p.GetProperty("string").GetString()}")).ToList();
    }

    static IEnumerable<byte[]> PicklesInside(string zipPath)
    {
        using var zip = ZipFile.OpenRead(zipPath);
        foreach (var e in zip.Entries.Where(e => e.Name.EndsWith(".pkl", StringComparison.Ordinal)))
        {
            using var s = e.Open();
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            yield return ms.ToArray();
        }
    }
}
