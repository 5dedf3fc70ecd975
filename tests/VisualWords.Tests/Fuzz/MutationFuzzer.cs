namespace VisualWords.Tests.Fuzz;

/// <summary>An input that made a parser do something other than load or throw <see cref="BadInputException"/>.</summary>
public sealed record FuzzFinding(byte[] Input, string Problem);

/// <param name="Inputs">Mutated inputs tried.</param>
/// <param name="Loaded">Inputs the parser accepted.</param>
/// <param name="Rejected">Inputs refused with <see cref="BadInputException"/>.</param>
public sealed record FuzzReport(string Parser, int Inputs, int Loaded, int Rejected, long MaxAllocatedBytes, TimeSpan Slowest, IReadOnlyList<FuzzFinding> Findings)
{
    public override string ToString() =>
        $"{Parser}: {Inputs} inputs, {Loaded} loaded, {Rejected} rejected, slowest {Slowest.TotalMilliseconds:F0} ms, " +
        $"most managed memory {MaxAllocatedBytes / 1e6:F1} MB, {Findings.Count} findings";
}

/// <summary>
/// A bounded, deterministic mutation fuzzer: inputs are seeds from our fixtures changed by a few
/// random edits (bit flips, boundary bytes and integers, truncation, insertion, duplication,
/// splicing two seeds). Every input must end in a load or a <see cref="BadInputException"/>;
/// any other exception, a run longer than <c>perInputTimeout</c> or more managed allocation than
/// <c>maxAllocatedBytes</c> is a finding. The budget (time and count) keeps it a unit test.
/// </summary>
public static class MutationFuzzer
{
    static readonly byte[] Interesting = [0, 1, 0x7F, 0x80, 0xFF, (byte)'0', (byte)'9', (byte)'-', (byte)'"', (byte)'{', (byte)'[', (byte)'.'];
    static readonly long[] InterestingInts = [0, 1, -1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, long.MaxValue, long.MinValue];

    public static FuzzReport Run(string parser, IReadOnlyList<byte[]> seeds, Action<byte[]> parse, TimeSpan budget, int maxInputs,
        int seed = 1, long maxAllocatedBytes = 256L << 20, TimeSpan? perInputTimeout = null)
    {
        var timeout = perInputTimeout ?? TimeSpan.FromSeconds(10);
        var rng = new Random(seed);
        var findings = new List<FuzzFinding>();
        int inputs = 0, loaded = 0, rejected = 0;
        long maxAllocated = 0;
        var slowest = TimeSpan.Zero;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (inputs < maxInputs && clock.Elapsed < budget && findings.Count < 20)
        {
            var input = Mutate(seeds, rng);
            inputs++;
            var (outcome, allocated, elapsed) = RunOne(parse, input, timeout);
            maxAllocated = Math.Max(maxAllocated, allocated);
            if (elapsed > slowest) slowest = elapsed;
            switch (outcome)
            {
                case null: loaded++; break;
                case BadInputException: rejected++; break;
                case TimeoutException: findings.Add(new(input, $"no answer within {timeout.TotalSeconds:F0} s")); return Report();
                default: findings.Add(new(input, $"{outcome.GetType().Name}: {outcome.Message}")); break;
            }
            if (allocated > maxAllocatedBytes) findings.Add(new(input, $"allocated {allocated / 1e6:F0} MB of managed memory"));
        }
        return Report();

        FuzzReport Report() => new(parser, inputs, loaded, rejected, maxAllocated, slowest, findings);
    }

    /// <summary>Runs one input on its own thread (so a hang can be detected) and measures what that thread allocated.</summary>
    public static (Exception? Outcome, long Allocated, TimeSpan Elapsed) RunOne(Action<byte[]> parse, byte[] input, TimeSpan timeout)
    {
        Exception? outcome = null;
        long allocated = 0;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var thread = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { parse(input); }
            catch (Exception e) { outcome = e; }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, maxStackSize: 16 << 20) { IsBackground = true };
        thread.Start();
        if (!thread.Join(timeout)) return (new TimeoutException(), 0, sw.Elapsed);
        return (outcome, allocated, sw.Elapsed);
    }

    public static byte[] Mutate(IReadOnlyList<byte[]> seeds, Random rng)
    {
        var data = new List<byte>(seeds[rng.Next(seeds.Count)]);
        int edits = 1 + (rng.Next(4) == 0 ? rng.Next(8) : 0);
        for (int e = 0; e < edits; e++)
        {
            int n = data.Count;
            switch (rng.Next(9))
            {
                case 0 when n > 0:   // flip one bit
                    data[rng.Next(n)] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1 when n > 0:   // a random byte
                    data[rng.Next(n)] = (byte)rng.Next(256);
                    break;
                case 2 when n > 0:   // a boundary byte
                    data[rng.Next(n)] = Interesting[rng.Next(Interesting.Length)];
                    break;
                case 3 when n >= 8:   // a boundary integer, little or big endian, 2/4/8 bytes
                {
                    int width = 1 << rng.Next(1, 4), at = rng.Next(n - width + 1);
                    var v = BitConverter.GetBytes(InterestingInts[rng.Next(InterestingInts.Length)]);
                    if (rng.Next(2) == 0) Array.Reverse(v, 0, width);
                    for (int i = 0; i < width; i++) data[at + i] = v[i];
                    break;
                }
                case 4 when n > 1:   // truncate
                {
                    int at = rng.Next(n);
                    data.RemoveRange(at, n - at);
                    break;
                }
                case 5:   // insert random bytes
                {
                    var bytes = new byte[rng.Next(1, 16)];
                    rng.NextBytes(bytes);
                    data.InsertRange(rng.Next(n + 1), bytes);
                    break;
                }
                case 6 when n > 1:   // duplicate a chunk
                {
                    int at = rng.Next(n), len = Math.Min(n - at, rng.Next(1, 64));
                    data.InsertRange(rng.Next(n + 1), data.GetRange(at, len));
                    break;
                }
                case 7 when n > 1:   // delete a chunk
                {
                    int at = rng.Next(n);
                    data.RemoveRange(at, Math.Min(n - at, rng.Next(1, 32)));
                    break;
                }
                case 8 when seeds.Count > 1:   // splice: our head, another seed's tail
                {
                    var other = seeds[rng.Next(seeds.Count)];
                    int cut = rng.Next(n + 1), from = rng.Next(other.Length + 1);
                    data.RemoveRange(cut, n - cut);
                    data.AddRange(other.AsSpan(from).ToArray());
                    break;
                }
            }
        }
        return data.ToArray();
    }
}
