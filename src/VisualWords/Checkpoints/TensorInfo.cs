using static TorchSharp.torch;

namespace VisualWords.Checkpoints;

/// <summary>What a checkpoint says about one tensor, without reading its data.</summary>
public sealed record TensorInfo(string Name, ScalarType DType, long[] Shape)
{
    public long Numel => Shape.Aggregate(1L, (a, b) => a * b);
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>Tensor data copying between native tensors and byte streams.</summary>
internal static class TensorBytes
{
    /// <summary>Reads exactly <c>numel × element size</c> bytes into a new 1-D CPU tensor.</summary>
    public static Tensor Read(Stream s, ScalarType type, long numel, string what)
    {
        var t = empty(numel, type);
        try
        {
            long total = numel * DTypes.ElementSize(type);
            if (total > 0)
            {
                var span = t.bytes;
                if (span.Length != total) throw new InvalidOperationException($"{what}: tensor byte span is {span.Length}, expected {total}");
                s.ReadExactly(span);
            }
            return t;
        }
        catch (EndOfStreamException)
        {
            t.Dispose();
            throw new BadInputException($"{what}: file is truncated (tensor data ends early)");
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }
}
