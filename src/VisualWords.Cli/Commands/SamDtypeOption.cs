using System.CommandLine;
using static TorchSharp.torch;

namespace VisualWords.Cli.Commands;

/// <summary><c>--sam-dtype fp32|bf16</c>: the dtype SAM's image encoder computes in (<see cref="Sam.SamModel.SetEncoderDtype"/>).</summary>
public static class SamDtypeOption
{
    public static Option<string> Create() => new("--sam-dtype")
    {
        Description = "SAM image encoder dtype: fp32 (the official numerics) or bf16 (faster only where the CPU has bf16 instructions, e.g. AVX512-BF16; " +
                      "several times slower where bf16 is emulated; " +
                      "embedding error and mask IoU against fp32 in docs/benchmarks.md). The embedding stays fp32.",
        DefaultValueFactory = _ => "fp32",
    };

    public static ScalarType Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" => ScalarType.Float32,
        "bf16" or "bfloat16" => ScalarType.BFloat16,
        var other => throw new BadInputException($"--sam-dtype must be fp32 or bf16 (got '{other}')"),
    };
}
