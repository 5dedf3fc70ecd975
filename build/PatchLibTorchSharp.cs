// MSBuild inline task (RoslynCodeTaskFactory): lowers the GLIBCXX version that libLibTorchSharp.so
// requires to the highest one the host libstdc++ provides.
//
// ELF facts used: the .gnu.version_r section (SHT_GNU_verneed) holds Verneed records, each with a
// chain of Vernaux entries {vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32};
// vna_name is an offset into the string table named by the section's sh_link (.dynstr). The
// dynamic loader checks vna_hash == elf_hash(name) and that the named version exists in the
// library. Symbols reference versions by index (vna_other), so renaming is local to the entry.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class PatchLibTorchSharp : Task
{
    [Required] public string[] Directories { get; set; } = Array.Empty<string>();

    const string Prefix = "GLIBCXX_3.4.";

    public override bool Execute()
    {
        int host = HostMaxGlibcxx();
        if (host < 0)
        {
            Log.LogMessage(MessageImportance.Low, "PatchLibTorchSharp: no libstdc++.so.6 found, nothing to do.");
            return true;
        }
        foreach (var dir in Directories.Where(Directory.Exists))
        {
            foreach (var so in Directory.EnumerateFiles(dir, "libLibTorchSharp.so", SearchOption.AllDirectories))
            {
                try { PatchFile(so, host); }
                catch (Exception e) { Log.LogWarning("PatchLibTorchSharp: could not patch {0}: {1}", so, e.Message); }
            }
        }
        return true;
    }

    static int HostMaxGlibcxx()
    {
        string[] candidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        };
        var path = candidates.FirstOrDefault(File.Exists);
        if (path == null) return -1;
        var text = Encoding.ASCII.GetString(File.ReadAllBytes(path));
        int max = -1;
        foreach (Match m in Regex.Matches(text, @"GLIBCXX_3\.4\.(\d+)"))
            max = Math.Max(max, int.Parse(m.Groups[1].Value));
        return max;
    }

    void PatchFile(string path, int host)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a little-endian ELF64 file");
        long shoff = BitConverter.ToInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        bool changed = false;
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            uint type = BitConverter.ToUInt32(elf, (int)sh + 4);
            if (type != 0x6ffffffe) continue; // SHT_GNU_verneed
            long off = BitConverter.ToInt64(elf, (int)sh + 0x18);
            int link = (int)BitConverter.ToUInt32(elf, (int)sh + 0x28);
            long strOff = BitConverter.ToInt64(elf, (int)(shoff + (long)link * shentsize) + 0x18);
            long vn = off;
            while (true)
            {
                int cnt = BitConverter.ToUInt16(elf, (int)vn + 2);
                long aux = vn + BitConverter.ToUInt32(elf, (int)vn + 8);
                for (int a = 0; a < cnt; a++)
                {
                    long nameAt = strOff + BitConverter.ToUInt32(elf, (int)aux + 8);
                    string name = ReadCString(elf, nameAt);
                    if (name.StartsWith(Prefix) && int.TryParse(name.Substring(Prefix.Length), out int need) && need > host)
                    {
                        string repl = Prefix + host;
                        if (repl.Length != name.Length)
                            throw new InvalidDataException($"cannot rename {name} to {repl}: lengths differ");
                        Encoding.ASCII.GetBytes(repl).CopyTo(elf, nameAt);
                        BitConverter.GetBytes(ElfHash(repl)).CopyTo(elf, aux);
                        Log.LogMessage(MessageImportance.Normal, "PatchLibTorchSharp: {0}: {1} -> {2}", path, name, repl);
                        changed = true;
                    }
                    uint next = BitConverter.ToUInt32(elf, (int)aux + 12);
                    if (next == 0) break;
                    aux += next;
                }
                uint vnNext = BitConverter.ToUInt32(elf, (int)vn + 12);
                if (vnNext == 0) break;
                vn += vnNext;
            }
        }
        if (!changed) return;
        // Write a new file and rename over the old one: the output copy may be a hard link into
        // the NuGet cache, which must stay untouched. Keep the mtime so incremental copies skip it.
        var mtime = File.GetLastWriteTimeUtc(path);
        string tmp = path + ".patch-tmp";
        File.WriteAllBytes(tmp, elf);
        File.SetLastWriteTimeUtc(tmp, mtime);
        File.Delete(path); // unlinks only this directory entry; a hard-linked cache file keeps its bytes
        File.Move(tmp, path);
    }

    static string ReadCString(byte[] b, long at)
    {
        long end = at;
        while (end < b.Length && b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, (int)at, (int)(end - at));
    }

    static uint ElfHash(string name)
    {
        uint h = 0;
        foreach (char c in name)
        {
            h = (h << 4) + (byte)c;
            uint g = h & 0xf0000000;
            if (g != 0) h ^= g >> 24;
            h &= ~g;
        }
        return h;
    }
}
