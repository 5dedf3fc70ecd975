using static TorchSharp.torch;

namespace VisualWords.Sam.Amg;

/// <summary>Splits prompts into fixed-size batches (the last one may be shorter) along dim 0.</summary>
public static class BatchIterator
{
    public static IEnumerable<Tensor> Batches(Tensor items, int batchSize)
    {
        if (batchSize < 1) throw new BadInputException($"points_per_batch must be at least 1 (got {batchSize})");
        long n = items.shape[0];
        for (long start = 0; start < n; start += batchSize)
            yield return items.narrow(0, start, Math.Min(batchSize, n - start));
    }

    public static IEnumerable<ArraySegment<T>> Batches<T>(T[] items, int batchSize)
    {
        if (batchSize < 1) throw new BadInputException($"batch size must be at least 1 (got {batchSize})");
        for (int start = 0; start < items.Length; start += batchSize)
            yield return new ArraySegment<T>(items, start, Math.Min(batchSize, items.Length - start));
    }
}
