using System.Runtime.InteropServices;

namespace VisualWords.Runtime;

/// <summary>
/// glibc malloc tuning for libtorch's CPU tensors. By default every allocation above a (dynamic,
/// at most 32 MB) threshold is a fresh mmap, so each large temporary (attention maps, MLP
/// activations) is page-faulted in and unmapped again: on SAM's encoder the kernel time rivals
/// the compute. Keeping large blocks on the heap and not trimming it lets freed tensors be reused.
/// Costs resident memory: the heap stays at its peak size for the life of the process.
/// </summary>
public static class NativeHeap
{
    const int M_TRIM_THRESHOLD = -1;
    const int M_MMAP_MAX = -4;

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int Mallopt(int param, int value);

    static bool _applied;

    /// <summary>Applies the tuning once per process; false where it does not apply (not Linux/glibc).</summary>
    public static bool KeepFreedMemory()
    {
        if (_applied) return true;
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            _applied = Mallopt(M_MMAP_MAX, 0) == 1 & Mallopt(M_TRIM_THRESHOLD, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;  // e.g. musl
        }
        return _applied;
    }
}
