using VisualWords.Checkpoints;
using VisualWords.Language;
using static TorchSharp.torch;

namespace VisualWords.Tests.Language;

/// <summary>Paths and loaders for the tiny LLaMA goldens written by tools/parity/llama_goldens.py.</summary>
static class LlamaFixtures
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "fixtures", "llama");
    public static string TinyHf => Path.Combine(Dir, "tiny-hf");
    public static string TinyHfBin => Path.Combine(Dir, "tiny-hf-bin");

    public static StateDict Goldens() => Checkpoint.Load(Path.Combine(Dir, "goldens.safetensors"));

    public static long[] Ids(Tensor t) => t.to_type(ScalarType.Int64).data<long>().ToArray();

    public static double MaxAbsDiff(Tensor a, Tensor b) =>
        (a.to_type(ScalarType.Float32) - b.to_type(ScalarType.Float32)).abs().max().item<float>();

    /// <summary>
    /// A random tiny model (GQA, 2 layers) for tests that need no goldens. Weights come from a private
    /// generator: xunit runs test classes in parallel and they all share torch's global RNG.
    /// </summary>
    public static LlamaForCausalLM RandomTiny(int seed = 7, LlamaConfig? config = null)
    {
        var m = new LlamaForCausalLM(config ?? new LlamaConfig
        {
            VocabSize = 50, HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 2,
            NumAttentionHeads = 4, NumKeyValueHeads = 2, MaxPositionEmbeddings = 128,
        }, initialize: false);
        using var g = new TorchSharp.torch.Generator((ulong)seed);
        using (no_grad())
            foreach (var (name, p) in m.named_parameters())
            {
                using var r = randn(p.shape, generator: g);
                if (name.EndsWith("norm.weight")) p.copy_(1.0f + 0.1f * r);
                else p.copy_(0.2f * r);
            }
        m.eval();
        return m;
    }
}
