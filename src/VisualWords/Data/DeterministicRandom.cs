namespace VisualWords.Data;

/// <summary>
/// A small seeded generator (SplitMix64) whose sequence is fixed by this code alone, not by the
/// .NET version, so a dataset made from a seed is the same everywhere. <see cref="Fork"/> derives
/// independent streams (e.g. one per image) so work can run in parallel and resume.
/// </summary>
public sealed class DeterministicRandom
{
    ulong _state;

    public DeterministicRandom(ulong seed) { _state = seed; }

    public static DeterministicRandom Fork(long seed, long stream) =>
        new(Mix(Mix((ulong)seed) ^ (0x9E3779B97F4A7C15UL * (ulong)(stream + 1))));

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [min, max).</summary>
    public double Uniform(double min, double max) => min + (max - min) * NextDouble();

    /// <summary>Uniform integer in [0, n).</summary>
    public int Next(int n) => n <= 0 ? throw new ArgumentOutOfRangeException(nameof(n)) : (int)(NextUInt64() % (ulong)n);

    /// <summary>Uniform integer in [min, max] (both included).</summary>
    public int NextInclusive(int min, int max) => min + Next(max - min + 1);

    public bool Chance(double p) => NextDouble() < p;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];
}
