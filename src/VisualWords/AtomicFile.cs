namespace VisualWords;

/// <summary>
/// Whole-file writes that a crash cannot leave half-done: write a uniquely named temp file next to the
/// target, flush it to disk, then rename over the target (atomic on one file system).
/// </summary>
public static class AtomicFile
{
    /// <summary>Suffix marker of temp files; a temp name is "&lt;target&gt;.tmp-&lt;unique&gt;".</summary>
    public const string TempMarker = ".tmp-";

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });

    public static void Write(string path, Action<Stream> write)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = path + TempMarker + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Deletes temp files left by killed writers of <paramref name="path"/>.</summary>
    public static int DeleteStaleTemps(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir)) return 0;
        int n = 0;
        foreach (var f in Directory.EnumerateFiles(dir, Path.GetFileName(path) + TempMarker + "*"))
        {
            File.Delete(f);
            n++;
        }
        return n;
    }
}
