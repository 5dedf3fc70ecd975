using static TorchSharp.torch;

namespace VisualWords.Sam.Amg;

/// <summary>
/// Greedy non-maximum suppression of XYXY boxes by IoU, matching torchvision's <c>nms</c>: visit
/// boxes by descending score (stable for ties), drop every later box whose IoU with a kept box is
/// above the threshold. The IoU matrix is one vectorised torch op; only the greedy walk is sequential.
/// </summary>
public static class BoxNms
{
    /// <returns>int64 indices of kept boxes, highest score first.</returns>
    public static Tensor Nms(Tensor boxes, Tensor scores, double iouThreshold)
    {
        long n = boxes.shape[0];
        if (n == 0) return empty(0, ScalarType.Int64);
        using var scope = NewDisposeScope();
        var order = scores.to(ScalarType.Float32).cpu().sort(dim: 0, descending: true, stable: true).Indices;
        var b = boxes.to(ScalarType.Float32).cpu().index_select(0, order);
        var over = (IouMatrix(b, b) > iouThreshold).to(ScalarType.Byte).contiguous();
        var suppress = over.data<byte>().ToArray();   // n×n, row i = boxes that box i suppresses
        var removed = new bool[n];
        var keep = new List<long>();
        for (long i = 0; i < n; i++)
        {
            if (removed[i]) continue;
            keep.Add(i);
            long row = i * n;
            for (long j = i + 1; j < n; j++)
                if (suppress[row + j] != 0) removed[j] = true;
        }
        var kept = order.index_select(0, tensor(keep.ToArray()));
        return scope.MoveToOuter(kept);
    }

    /// <summary>
    /// IoU of every box in <paramref name="a"/> [N,4] with every box in <paramref name="b"/> [M,4] → [N,M].
    /// Two empty boxes give NaN (0/0), which compares false, so neither suppresses the other (as torchvision).
    /// </summary>
    public static Tensor IouMatrix(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var areaA = MaskBoxes.Area(a).unsqueeze(1);
        var areaB = MaskBoxes.Area(b).unsqueeze(0);
        var lt = maximum(a[.., TensorIndex.None, TensorIndex.Slice(0, 2)], b[TensorIndex.None, .., TensorIndex.Slice(0, 2)]);
        var rb = minimum(a[.., TensorIndex.None, TensorIndex.Slice(2, 4)], b[TensorIndex.None, .., TensorIndex.Slice(2, 4)]);
        var wh = (rb - lt).clamp_min(0);
        var inter = wh[TensorIndex.Ellipsis, 0] * wh[TensorIndex.Ellipsis, 1];
        return scope.MoveToOuter(inter / (areaA + areaB - inter));
    }
}
