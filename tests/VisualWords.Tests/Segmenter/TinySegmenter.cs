using VisualWords.Data;
using VisualWords.Training;

namespace VisualWords.Tests.Segmenter;

/// <summary>A tiny ShapesWorld and a tiny segmenter config shared by the segmenter tests.</summary>
public static class TinySegmenter
{
    static readonly Lazy<string> Dataset = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), "vw-tiny-shapes-" + Environment.ProcessId);
        ShapesWorldWriter.Write(dir, 12, seed: 3, new ShapesWorldOptions { Size = 64, ValFraction = 0.25 }, threads: 1);
        return dir;
    });

    public static string DatasetDir => Dataset.Value;

    public static string ModelJson(string superpixels = "grid", bool grounding = false) => $$"""
        {
          "sam": "vit_tiny", "vision_tower": "clip-tiny", "projector": "semantic", "projector_heads": 4,
          "sspe_colour": {{(grounding ? "true" : "false")}}, "grounding": {{(grounding ? "true" : "false")}},
          "superpixels": { "kind": "{{superpixels}}", "grid_cells": 3,
                           "generator": { "points_per_side": 4, "pred_iou_thresh": 0.0, "stability_score_thresh": 0.0 },
                           "partition": { "min_region_area": 4, "max_regions": 12 } },
          "llm": { "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                   "num_key_value_heads": 2, "max_position_embeddings": 256, "vocab_size": 1 }
        }
        """;

    public static TrainConfig Config(int steps, string superpixels = "grid", double lr = 3e-3, bool grounding = false, int workers = 1,
        string? wordsCache = null, long seed = 11) => TrainConfig.Parse($$"""
        { "model": { "kind": "referring", "config": {{ModelJson(superpixels, grounding)}} },
          "data": { "dataset": "{{DatasetDir}}", "batch_size": 2, "val_samples": 4{{(wordsCache is null ? "" : $", \"words_cache\": \"{wordsCache}\"")}} },
          "optim": { "lr": {{lr}}, "warmup_steps": {{Math.Min(2, steps)}}, "clip_grad_norm": 1.0, "schedule": "constant" },
          "run": { "steps": {{steps}}, "seed": {{seed}}, "checkpoint_every": 100, "workers": {{workers}} } }
        """);
}
