using static TorchSharp.torch;

namespace VisualWords.Language;

/// <summary>
/// Masks and position ids for batches of variable-length sequences: padded rows (a <c>B x S</c>
/// bool "real token" mask, left or right padding) and packed rows (several sequences in one row,
/// told apart by segment ids). Positions count real tokens only, so a sequence gets the same
/// RoPE angles wherever it sits in the batch.
/// </summary>
public static class AttentionMasks
{
    /// <summary>
    /// Position id of every token in <c>B x S</c> from its real-token mask: the number of real tokens
    /// before it (padding gets 0; it is never attended to).
    /// </summary>
    public static Tensor PositionIds(Tensor realTokens)
    {
        using var scope = NewDisposeScope();
        var m = realTokens.to_type(ScalarType.Int64);
        var pos = (m.cumsum(1) - 1).clamp_min(0) * m;
        return scope.MoveToOuter(pos);
    }

    /// <summary>
    /// Position ids for packed rows: <c>B x S</c> int64 segment ids (0, 0, 1, 1, 1, 2, …, padding &lt; 0);
    /// positions restart at 0 where the segment id changes.
    /// </summary>
    public static Tensor PackedPositionIds(Tensor segmentIds)
    {
        using var scope = NewDisposeScope();
        var s = segmentIds.shape[1];
        var index = arange(s, dtype: ScalarType.Int64, device: segmentIds.device).unsqueeze(0).expand(segmentIds.shape[0], s);
        // start index of the segment each token belongs to: a running max over "segment starts here" indices
        var starts = cat([ones(segmentIds.shape[0], 1, dtype: ScalarType.Bool, device: segmentIds.device),
            segmentIds.narrow(1, 1, s - 1).ne(segmentIds.narrow(1, 0, s - 1))], 1);
        var startIndex = where(starts, index, zeros_like(index)).cummax(1).Item1;
        var pos = (index - startIndex) * segmentIds.ge(0).to_type(ScalarType.Int64);
        return scope.MoveToOuter(pos);
    }

    /// <summary>
    /// Boolean attention mask <c>B x 1 x T x S</c> (true = may attend) for T new queries that follow
    /// S - T cached keys: causal, no padding keys, and (when given) only keys of the query's own
    /// segment. Every query may attend to itself so that padding rows never become all-masked
    /// (an all-false row gives NaN that would leak through the values of later layers).
    /// </summary>
    public static Tensor Causal(Tensor keyRealTokens, long queryCount, Tensor? segmentIds = null)
    {
        using var scope = NewDisposeScope();
        var device = keyRealTokens.device;
        long s = keyRealTokens.shape[1], past = s - queryCount;
        var qIndex = arange(past, s, dtype: ScalarType.Int64, device: device).unsqueeze(1);  // T x 1
        var kIndex = arange(s, dtype: ScalarType.Int64, device: device).unsqueeze(0);        // 1 x S
        var allowed = kIndex.le(qIndex).unsqueeze(0) & keyRealTokens.to_type(ScalarType.Bool).unsqueeze(1); // B x T x S
        if (segmentIds is not null)
        {
            var qSeg = segmentIds.narrow(1, past, queryCount).unsqueeze(2);
            allowed = allowed & qSeg.eq(segmentIds.unsqueeze(1));
        }
        allowed = allowed | kIndex.eq(qIndex).unsqueeze(0);
        return scope.MoveToOuter(allowed.unsqueeze(1));
    }
}
