using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using VisualWords.Language;
using static TorchSharp.torch;

namespace VisualWords.Bench;

/// <summary>
/// One LLaMA-7B decoder layer (hidden 4096, 32 heads, SwiGLU 11008) at prefill lengths, ours vs
/// the plain PyTorch layer (llama2.c's TransformerBlock run by bench/python/llama_layer_ref.py) in
/// the same run, fp32 and bf16, with FLOPs and GFLOP/s; then the per-query LLM estimate (32 layers)
/// for 576 patch tokens vs a superpixel token count, each plus the prompt's real text tokens.
/// </summary>
public static class LlmLayerBench
{
    public static BenchRegistry.Entry Entry => new("llm-layer",
        "LLaMA-7B decoder layer prefill, ours vs plain PyTorch, fp32/bf16 (--lengths, --reps, --dtypes, --threads, --superpixels, --no-python)", Run);

    /// <summary>Matmul FLOPs of one layer's prefill over T tokens (q,k,v,o; gate, up, down; full QKᵀ and PV).</summary>
    public static double LayerFlops(long t, long d = 4096, long f = 11008) => 8.0 * t * d * d + 6.0 * t * d * f + 4.0 * t * t * d;

    static int Run(string[] args)
    {
        string Opt(string name, string def) => BenchArgs.Get(args, name) ?? def;
        var lengths = Opt("--lengths", "64,128,256,512,640,1024").Split(',').Select(int.Parse).ToArray();
        var dtypes = Opt("--dtypes", "float32,bfloat16").Split(',');
        int reps = int.Parse(Opt("--reps", "3"), CultureInfo.InvariantCulture);
        var superpixels = Opt("--superpixels", "40").Split(',').Select(int.Parse).ToArray();
        bool python = !args.Contains("--no-python");
        // One thread by default: on a shared 2-core machine a second BLAS thread mostly waits at
        // barriers for a descheduled sibling (a 128x4096x11008 GEMM measured 1.5-4x slower with 2 threads).
        int threads = int.Parse(Opt("--threads", "1"), CultureInfo.InvariantCulture);
        set_num_threads(threads);
        Console.WriteLine($"torch threads {get_num_threads()}, reps {reps} (min of reps after 1 warm-up), {Environment.ProcessorCount} cores visible");

        // The reference runs as a server so each (dtype, length) is timed for both implementations
        // back to back: on a shared machine the load drifts, and a ratio needs the same conditions.
        Process? py = null;
        if (python)
        {
            var psi = new ProcessStartInfo("/usr/bin/python3", [Path.Combine(FindRepoRoot(), "bench", "python", "llama_layer_ref.py"),
                "--serve", "--lengths", string.Join(",", lengths), "--threads", threads.ToString(CultureInfo.InvariantCulture)])
            { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = false };
            psi.Environment["LLAMA2C_SRC"] = Environment.GetEnvironmentVariable("LLAMA2C_SRC") ?? "/work/upstream/llama2.c";
            psi.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
            psi.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
            py = Process.Start(psi)!;
        }
        double? Reference(string dt, int t)
        {
            if (py is null) return null;
            py.StandardInput.WriteLine($"{dt} {t} {reps}");
            py.StandardInput.Flush();
            string? line;
            while ((line = py.StandardOutput.ReadLine()) != null && !line.StartsWith('{')) { } // skip llama2.c's attention warning
            if (line is null) { Console.Error.WriteLine("python reference stopped"); py = null; return null; }
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.GetProperty("ms_min").GetDouble();
        }

        var ours = new Dictionary<(string, int), double>();
        var torchMs = new Dictionary<(string, int), double>();
        foreach (var dt in dtypes)
        {
            var dtype = dt == "bfloat16" ? ScalarType.BFloat16 : ScalarType.Float32;
            var config = LlamaConfig.Llama2_7B with { NumHiddenLayers = 1 };
            manual_seed(0);
            using var layer = new LlamaDecoderLayer(config, null, dtype, initialize: true);
            layer.eval();
            foreach (var t in lengths)
            {
                ours[(dt, t)] = LlamaLayerTiming.BestMs(layer, config, dtype, t, reps);
                var reference = Reference(dt, t);
                if (reference is double rms) torchMs[(dt, t)] = rms;
                Console.WriteLine($"{dt,-8} T={t,5}: ours {ours[(dt, t)],8:F1} ms {LayerFlops(t) / ours[(dt, t)] / 1e6,6:F1} GFLOP/s" +
                                  (reference is double refMs ? $" | pytorch {refMs,8:F1} ms {LayerFlops(t) / refMs / 1e6,6:F1} GFLOP/s" : ""));
            }
        }
        if (py is not null) { py.StandardInput.Close(); py.WaitForExit(); }

        Console.WriteLine();
        Console.WriteLine("| dtype | tokens | GFLOP | ours ms | ours GFLOP/s | PyTorch ms | PyTorch GFLOP/s | PyTorch / ours |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var dt in dtypes)
            foreach (var t in lengths)
            {
                var o = ours[(dt, t)];
                var hasRef = torchMs.TryGetValue((dt, t), out var r);
                Console.WriteLine($"| {dt} | {t} | {LayerFlops(t) / 1e9:F1} | {o:F0} | {LayerFlops(t) / o / 1e6:F0} | " +
                                  (hasRef ? $"{r:F0} | {LayerFlops(t) / r / 1e6:F0} | {r / o:F2}× |" : "– | – | – |"));
            }

        // Per-query estimate: 32 identical layers, interpolated in tokens between measured lengths.
        var tok = LlamaTextTokenizer.Load(Path.Combine(FindRepoRoot(), "tests", "fixtures", "llama", "tokenizer.model"));
        tok.AddSegmentationTokens();
        var prompt = ConversationTemplate.LlavaV1.Prompt(ReferringConversation.Question("the man in the red shirt on the left"));
        // Prefill covers the prompt up to "ASSISTANT:" (BOS included, the <image> placeholder not);
        // the answer is decoded token by token afterwards.
        int text = tok.Encode(prompt).Count - 1;
        Console.WriteLine();
        Console.WriteLine($"prompt text tokens (LLaVA v1 template, 'the man in the red shirt on the left', our tokenizer): {text}; " +
                          $"answer tokens incl. EOS: {tok.Encode(ReferringConversation.AnswerText, addBos: false).Count + 1}");
        foreach (var dt in dtypes)
        {
            double Layer(int t) => Interpolate(lengths, lengths.Select(l => ours[(dt, l)]).ToArray(), t);
            double patch = 32 * Layer(576 + text);
            foreach (var s in superpixels)
            {
                double sp = 32 * Layer(s + text);
                Console.WriteLine($"{dt}: 576 patches + {text} text = {576 + text} tokens: {patch / 1000:F2} s/query; {s} superpixel tokens + {text} text = {s + text}: {sp / 1000:F2} s/query; " +
                                  $"speed-up {patch / sp:F2}× vs FLOP ratio {LayerFlops(576 + text) / LayerFlops(s + text):F2}×");
            }
        }
        return 0;
    }

    static double Interpolate(int[] xs, double[] ys, int x)
    {
        if (x <= xs[0]) return ys[0] * x / xs[0];
        for (int i = 1; i < xs.Length; i++)
            if (x <= xs[i]) return ys[i - 1] + (ys[i] - ys[i - 1]) * (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
        return ys[^1] * LayerFlops(x) / LayerFlops(xs[^1]);
    }

    static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "VisualWords.slnx"))) return d.FullName;
        return Directory.GetCurrentDirectory();
    }
}
