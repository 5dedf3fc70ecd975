using static TorchSharp.torch;

namespace VisualWords.Checkpoints;

/// <summary>Names of tensor element types in the checkpoint formats we read and write.</summary>
public static class DTypes
{
    static readonly (string Safetensors, string TorchStorage, ScalarType Type, int Size)[] Table =
    {
        ("F32", "FloatStorage", ScalarType.Float32, 4),
        ("F16", "HalfStorage", ScalarType.Float16, 2),
        ("BF16", "BFloat16Storage", ScalarType.BFloat16, 2),
        ("F64", "DoubleStorage", ScalarType.Float64, 8),
        ("I64", "LongStorage", ScalarType.Int64, 8),
        ("I32", "IntStorage", ScalarType.Int32, 4),
        ("I16", "ShortStorage", ScalarType.Int16, 2),
        ("I8", "CharStorage", ScalarType.Int8, 1),
        ("U8", "ByteStorage", ScalarType.Byte, 1),
        ("BOOL", "BoolStorage", ScalarType.Bool, 1),
    };

    public static ScalarType FromSafetensors(string name) =>
        Table.FirstOrDefault(t => t.Safetensors == name) is { TorchStorage: not null } e ? e.Type
            : throw new BadInputException($"unsupported safetensors dtype '{name}'");

    public static string ToSafetensors(ScalarType type) =>
        Table.FirstOrDefault(t => t.Type == type) is { Safetensors: not null } e ? e.Safetensors
            : throw new BadInputException($"dtype {type} cannot be written to safetensors");

    public static ScalarType? FromTorchStorage(string name) =>
        Table.FirstOrDefault(t => t.TorchStorage == name) is { TorchStorage: not null } e ? e.Type : null;

    public static int ElementSize(ScalarType type) =>
        Table.FirstOrDefault(t => t.Type == type) is { TorchStorage: not null } e ? e.Size
            : throw new BadInputException($"unsupported dtype {type}");

    /// <summary>Short lower-case name for reports (f32, bf16, ...).</summary>
    public static string ShortName(ScalarType type) => ToSafetensors(type).ToLowerInvariant();
}
