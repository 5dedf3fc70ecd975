using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using VisualWords.Checkpoints;
using VisualWords.Imaging;
using VisualWords.Sam;
using static TorchSharp.torch;

namespace VisualWords.Bench;

/// <summary>
/// SAM vit_b, ours against the official PyTorch code on the same random full-size weights:
/// image encoder at 1024^2 and the decoder for 64 point prompts (one batch, multimask); then our
/// encoder in bfloat16 against the official float32 output (time, embedding error, mask IoU).
/// Reads what tools/parity/sam_bench.py wrote into DIR (run that first; bench/sam.sh runs both).
/// Usage: sam DIR --image IMG [--threads N]
/// </summary>
public static class SamBench
{
    public static int Run(string[] args)
    {
        string dir = args[0];
        string image = Arg(args, "--image") ?? throw new ArgumentException("--image IMG required");
        if (Arg(args, "--threads") is { } t) torch.set_num_threads(int.Parse(t));
        if (Environment.GetEnvironmentVariable("VW_NO_HEAP_TUNING") != "1") VisualWords.Runtime.NativeHeap.KeepFreedMemory();
        using var _ = torch.no_grad();
        var official = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "official.json"))).RootElement;
        using var golden = Checkpoint.Load(Path.Combine(dir, "official.safetensors"));

        using var model = SamModel.FromCheckpoint(SamModelConfig.VitB, Path.Combine(dir, "sam_vit_b_random.pth"));
        var img = ImageIO.Load(image);
        var resized = ResizeLongestSide.ApplyImage(img, 1024);
        using var input = model.Preprocess(ImageTensors.ToFloatCHW(resized).unsqueeze(0));

        double peak = MatmulPeakGflops();
        var cpu = CpuSeconds();
        var sw = Stopwatch.StartNew();
        using var embedding = model.ImageEncoder.forward(input);
        double encS = sw.Elapsed.TotalSeconds, encCpu = CpuSeconds() - cpu;
        float embErr = (embedding - golden["embedding"]).abs().max().item<float>();

        using var predictor = new SamPredictor(model);
        predictor.SetEmbedding(embedding, (img.Height, img.Width));
        cpu = CpuSeconds();
        sw.Restart();
        using var lowRes = predictor.PredictLowRes(golden["points"], golden["labels"], null, null, true, null, out var iou);
        double decS = sw.Elapsed.TotalSeconds, decCpu = CpuSeconds() - cpu;
        float iouErr = (iou - golden["iou"]).abs().max().item<float>();
        float logitErr = (lowRes - golden["low_res_logits"]).abs().max().item<float>();
        long flipped = (lowRes > 0).logical_xor(golden["low_res_logits"] > 0).sum().item<long>();
        iou.Dispose();

        // The same encoder in bfloat16 (SamModel.SetEncoderDtype), in the same run: its time, its
        // embedding's error against the official float32 one, and the masks the 64 prompts then give.
        model.SetEncoderDtype(ScalarType.BFloat16);
        model.EncodeImage(input).Dispose();                                  // warm-up: oneDNN builds its bf16 kernels
        cpu = CpuSeconds();
        sw.Restart();
        using var bfEmbedding = model.EncodeImage(input);
        double bfS = sw.Elapsed.TotalSeconds, bfCpu = CpuSeconds() - cpu;
        double bfRel = (bfEmbedding - golden["embedding"]).abs().max().item<float>() / golden["embedding"].abs().max().item<float>();
        predictor.SetEmbedding(bfEmbedding, (img.Height, img.Width));
        using var bfLowRes = predictor.PredictLowRes(golden["points"], golden["labels"], null, null, true, null, out var bfIou);
        bfIou.Dispose();
        using var a = (bfLowRes > 0).flatten(2);
        using var b = (golden["low_res_logits"].reshape(bfLowRes.shape) > 0).flatten(2);
        using var inter = a.logical_and(b).sum(2).to(ScalarType.Float64);
        using var union = a.logical_or(b).sum(2).to(ScalarType.Float64);
        using var nonEmpty = union > 0;
        using var maskIou = (inter / union.clamp_min(1)).masked_select(nonEmpty);
        double bfIouMin = maskIou.numel() > 0 ? maskIou.min().item<double>() : double.NaN;
        double bfIouMean = maskIou.numel() > 0 ? maskIou.mean().item<double>() : double.NaN;

        double gflop = EncoderFlops(SamModelConfig.VitB.Vit!) / 1e9;
        double offEnc = official.GetProperty("encoder_s").GetDouble(), offDec = official.GetProperty("decoder_64_prompts_s").GetDouble();
        double offEncCpu = official.GetProperty("encoder_cpu_s").GetDouble(), offDecCpu = official.GetProperty("decoder_64_prompts_cpu_s").GetDouble();
        var result = new
        {
            threads = torch.get_num_threads(),
            official_threads = official.GetProperty("threads").GetInt32(),
            encoder_s = encS, official_encoder_s = offEnc, encoder_ratio = encS / offEnc,
            decoder_64_prompts_s = decS, official_decoder_64_prompts_s = offDec, decoder_ratio = decS / offDec,
            encoder_cpu_s = encCpu, official_encoder_cpu_s = offEncCpu, encoder_cpu_ratio = encCpu / offEncCpu,
            decoder_64_prompts_cpu_s = decCpu, official_decoder_64_prompts_cpu_s = offDecCpu, decoder_cpu_ratio = decCpu / offDecCpu,
            load_average = File.ReadAllText("/proc/loadavg").Split(' ')[0], official_load_average = official.GetProperty("load_average").GetDouble(),
            encoder_gflop = gflop, encoder_gflops_per_s = gflop / encS, official_encoder_gflops_per_s = gflop / offEnc,
            matmul_peak_gflops_per_s = peak,
            embedding_max_abs_diff = embErr, iou_max_abs_diff = iouErr, low_res_logits_max_abs_diff = logitErr,
            low_res_mask_pixels_flipped = flipped, low_res_mask_pixels = lowRes.numel(),
            bf16_encoder_s = bfS, bf16_encoder_cpu_s = bfCpu, bf16_speedup_wall = encS / bfS, bf16_speedup_cpu = encCpu / bfCpu,
            bf16_embedding_rel_err = bfRel, bf16_low_res_mask_iou_min = bfIouMin, bf16_low_res_mask_iou_mean = bfIouMean,
            bf16_masks_compared = maskIou.numel(),
        };
        Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    /// <summary>CPU time of all the process's threads: robust where other jobs share the cores.</summary>
    static double CpuSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>Best of 5: a 4096x768 by 768x2304 matmul, the encoder's qkv projection.</summary>
    static double MatmulPeakGflops()
    {
        using var a = torch.randn(4096, 768);
        using var b = torch.randn(768, 2304);
        double best = double.MaxValue;
        for (int i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            using var c = a.matmul(b);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return 2.0 * 4096 * 768 * 2304 / best / 1e9;
    }

    /// <summary>Multiply-adds x 2 of the ViT encoder (projections, MLPs, attention, rel-pos, neck).</summary>
    public static double EncoderFlops(ImageEncoderViTConfig c)
    {
        double g = c.GridSize, n = g * g, d = c.EmbedDim, hd = d / c.NumHeads;
        double flops = 2 * n * d * (3 * c.PatchSize * c.PatchSize);
        for (int i = 0; i < c.Depth; i++)
        {
            flops += 2 * n * d * (3 * d + d + 2 * c.MlpRatio * d);
            bool global = c.GlobalAttnIndexes.Contains(i);
            double w = c.WindowSize, windows = Math.Pow(Math.Ceiling(g / w), 2);
            double tokens = global ? n : w * w, groups = global ? 1 : windows;
            flops += groups * c.NumHeads * (2 * 2 * tokens * tokens * hd);   // q·k and attn·v
            double side = Math.Sqrt(tokens);
            flops += groups * c.NumHeads * 2 * 2 * tokens * side * hd;         // rel-pos einsums (h and w)
        }
        flops += 2 * n * d * c.OutChans + 2 * n * c.OutChans * c.OutChans * 9;
        return flops;
    }
}
