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

    /// <summary>A random tiny model (GQA, 2 layers) for tests that need no goldens.</summary>
    public static LlamaForCausalLM RandomTiny(int seed = 7, LlamaConfig? config = null)
    {
        manual_seed(seed);
        var m = new LlamaForCausalLM(config ?? new LlamaConfig
        {
            VocabSize = 50, HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 2,
            NumAttentionHeads = 4, NumKeyValueHeads = 2, MaxPositionEmbeddings = 128,
        });
        m.eval();
        return m;
    }
}
