namespace VisualWords.Tests.Foundation;

public class OutputFilesTests
{
    [Fact]
    public void Nothing_is_written_unless_committed()
    {
        using var dir = Fixtures.TempDir();
        using (var outputs = new OutputFiles().File("--a", dir.File("a.txt")).File("--b", dir.File("sub/b.txt")))
        {
            outputs.WriteText(dir.File("a.txt"), "A");
            outputs.WriteText(dir.File("sub/b.txt"), "B");
            Assert.False(File.Exists(dir.File("a.txt")));
        }
        Assert.False(File.Exists(dir.File("a.txt")));
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "*", SearchOption.AllDirectories));   // no temp file left behind
    }

    [Fact]
    public void Commit_renames_every_file_and_prints_stdout_outputs()
    {
        using var dir = Fixtures.TempDir();
        var console = new StringWriter();
        using var outputs = new OutputFiles(console).File("--a", dir.File("a.txt")).File("--json", "-", allowStdout: true);
        Assert.True(outputs.UsesStdout);
        outputs.WriteText(dir.File("a.txt"), "A");
        outputs.WriteText("-", "{}");
        Assert.Equal("", console.ToString());
        outputs.Commit();
        Assert.Equal("A", File.ReadAllText(dir.File("a.txt")));
        Assert.Equal("{}" + Environment.NewLine, console.ToString());
        Assert.Single(Directory.EnumerateFiles(dir.Path));
    }

    [Fact]
    public void Declaring_bad_paths_throws_bad_input()
    {
        using var dir = Fixtures.TempDir();
        var input = dir.File("in.png");
        File.WriteAllText(input, "x");
        Assert.Contains("input", Assert.Throws<BadInputException>(() => new OutputFiles().Input(input).File("--out", input)).Message);
        Assert.Contains("same file", Assert.Throws<BadInputException>(() => new OutputFiles().File("--a", dir.File("o")).File("--b", dir.File("o"))).Message);
        Assert.Contains("only for JSON", Assert.Throws<BadInputException>(() => new OutputFiles().File("--out", "-")).Message);
        Assert.Contains("folder", Assert.Throws<BadInputException>(() => new OutputFiles().File("--out", dir.Path)).Message);
        Assert.Contains("cannot write", Assert.Throws<BadInputException>(() => new OutputFiles().File("--out", "/proc/vw/x.png")).Message);
        Assert.Contains("is a file", Assert.Throws<BadInputException>(() => new OutputFiles().Folder("--out", input)).Message);
    }
}
