using Xunit;
using TorchSharp;
using VisualWords.Checkpoints;
using VisualWords.Sam;
using static TorchSharp.torch;

namespace VisualWords.Tests.Sam;

/// <summary>Access to the goldens written by tools/parity/sam_goldens.py.</summary>
static class SamGoldens
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "fixtures", "sam", name);

    /// <summary>The reduced MobileSAM of the goldens: small TinyViT widths, 32-channel neck and decoder.</summary>
    public static readonly SamModelConfig TinyVitTiny = new("tinyvit_tiny", null,
        new TinyViTConfig(ImgSize: 1024, EmbedDims: [8, 16, 24, 320], Depths: [1, 1, 1, 1], NumHeads: [1, 2, 3, 10],
            WindowSizes: [7, 7, 14, 7], MlpRatio: 1.0, NumClasses: 10, NeckChans: 32),
        PromptEmbedDim: 32, DecoderHeads: 4, DecoderMlpDim: 64, IouHeadHiddenDim: 32);

    /// <summary>Builds the model and loads an official .pth into it in strict mode.</summary>
    public static SamModel LoadModel(SamModelConfig config, string pth)
    {
        var model = new SamModel(config);
        using var sd = Checkpoint.Load(Path(pth));
        var report = StateDictLoader.LoadInto(model, sd, new LoadOptions { Strict = true });
        Assert.True(report.IsClean, report.ToString());
        return model;
    }

    /// <summary>Unpacks numpy packbits(bitorder="little") masks to a bool tensor of the given shape.</summary>
    public static Tensor UnpackMask(Tensor packed, long[] shape)
    {
        var bytes = packed.data<byte>().ToArray();
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var bits = new bool[n];
        for (long i = 0; i < n; i++) bits[i] = (bytes[i >> 3] >> (int)(i & 7) & 1) == 1;
        return torch.tensor(bits, shape);
    }

    public static float MaxAbsDiff(Tensor a, Tensor b) => (a.to(ScalarType.Float32) - b.to(ScalarType.Float32)).abs().max().item<float>();

    /// <summary>Pixels where two masks of the same shape differ.</summary>
    public static long MaskMismatches(Tensor a, Tensor b) => a.to(ScalarType.Bool).logical_xor(b.to(ScalarType.Bool)).sum().item<long>();
}
