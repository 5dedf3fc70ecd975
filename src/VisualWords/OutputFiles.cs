namespace VisualWords;

/// <summary>
/// The output files of one command, all or nothing. Every path is checked before any work (its folder
/// writable, not a folder itself, not one of the inputs, not named twice); each file is written to a
/// temp file beside its target, and <see cref="Commit"/> renames them all into place at the end, so a
/// failure half-way leaves no partial set of outputs. "-" means stdout where a path allows it; what
/// is written there is held until the commit as well.
/// </summary>
public sealed class OutputFiles : IDisposable
{
    public const string Stdout = "-";

    readonly Dictionary<string, string> _outputs = new(StringComparer.Ordinal);   // full path -> option
    readonly Dictionary<string, string> _inputs = new(StringComparer.Ordinal);
    readonly List<(string Temp, string Target)> _staged = [];
    readonly List<byte[]> _stdout = [];
    readonly TextWriter _console;
    bool _stdoutClaimed;

    /// <param name="stdout">Where "-" writes (default: <see cref="Console.Out"/> at commit time).</param>
    public OutputFiles(TextWriter? stdout = null) => _console = stdout ?? Console.Out;

    /// <summary>True when some output is "-": human-readable results then belong on stderr.</summary>
    public bool UsesStdout => _stdoutClaimed;

    /// <summary>A file the command reads; no output may name it.</summary>
    public OutputFiles Input(string? path)
    {
        if (path is not null && path != Stdout) _inputs[Path.GetFullPath(path)] = path;
        return this;
    }

    /// <summary>Declares and checks an output file (<paramref name="path"/> null: the option was not given).</summary>
    public OutputFiles File(string option, string? path, bool allowStdout = false)
    {
        if (path is null) return this;
        if (path == Stdout)
        {
            if (!allowStdout) throw new BadInputException($"{option}: '-' (stdout) is only for JSON outputs");
            if (_stdoutClaimed) throw new BadInputException($"{option}: only one output can go to stdout ('-')");
            _stdoutClaimed = true;
            return this;
        }
        if (string.IsNullOrWhiteSpace(path)) throw new BadInputException($"{option}: empty path");
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new BadInputException($"{option} '{path}' is a folder; give a file name");
        if (_inputs.ContainsKey(full)) throw new BadInputException($"{option} '{path}' is an input of this command; writing it would overwrite the input");
        if (_outputs.TryGetValue(full, out var other)) throw new BadInputException($"{option} '{path}' is the same file as {other}");
        CheckFolderWritable(option, path, Path.GetDirectoryName(full)!);
        _outputs[full] = option;
        return this;
    }

    /// <summary>Declares and checks an output folder (created at the first write).</summary>
    public OutputFiles Folder(string option, string? path)
    {
        if (path is null) return this;
        var full = Path.GetFullPath(path);
        if (System.IO.File.Exists(full)) throw new BadInputException($"{option} '{path}' is a file; give a folder");
        if (_inputs.ContainsKey(full)) throw new BadInputException($"{option} '{path}' is an input of this command");
        CheckFolderWritable(option, path, full);
        _outputs[full] = option;
        return this;
    }

    /// <summary>Writes one output (to a temp file beside it, or held in memory for stdout) until <see cref="Commit"/>.</summary>
    public void Write(string path, Action<Stream> write)
    {
        if (path == Stdout)
        {
            using var ms = new MemoryStream();
            write(ms);
            _stdout.Add(ms.ToArray());
            return;
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var temp = path + AtomicFile.TempMarker + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8];
        _staged.Add((temp, path));
        using var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write);
        write(fs);
        fs.Flush(flushToDisk: true);
    }

    public void WriteText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });

    /// <summary>Renames every staged file into place, then prints what goes to stdout.</summary>
    public void Commit()
    {
        foreach (var (temp, target) in _staged) System.IO.File.Move(temp, target, overwrite: true);
        _staged.Clear();
        foreach (var bytes in _stdout)
        {
            _console.Write(System.Text.Encoding.UTF8.GetString(bytes));
            _console.WriteLine();
        }
        _stdout.Clear();
        _console.Flush();
    }

    /// <summary>Removes the temp files of an uncommitted set.</summary>
    public void Dispose()
    {
        foreach (var (temp, _) in _staged)
            try { System.IO.File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _staged.Clear();
    }

    /// <summary>The nearest existing folder above (or at) <paramref name="folder"/> must accept a new file.</summary>
    static void CheckFolderWritable(string option, string path, string folder)
    {
        var existing = folder;
        while (!Directory.Exists(existing))
        {
            if (System.IO.File.Exists(existing)) throw new BadInputException($"{option} '{path}': '{existing}' is a file, not a folder");
            existing = Path.GetDirectoryName(existing) ?? throw new BadInputException($"{option} '{path}': no such folder");
        }
        var probe = Path.Combine(existing, $".vw-write-check-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var why = e is UnauthorizedAccessException ? "permission denied" : "it does not accept new files";
            throw new BadInputException($"{option} '{path}': cannot write to the folder '{existing}' ({why})");
        }
    }
}
