namespace VisualWords.Vision;

/// <summary>Every vision tower size in one place (names follow the Hugging Face model ids).</summary>
public static class VisionTowers
{
    public static readonly IReadOnlyDictionary<string, VisionTowerConfig> Configs =
        new Dictionary<string, VisionTowerConfig>(StringComparer.OrdinalIgnoreCase)
        {
            ["clip-vit-large-patch14-336"] = new ClipVisionConfig(336, 14, 1024, 24, 16, 4096),
            ["clip-vit-large-patch14"] = new ClipVisionConfig(224, 14, 1024, 24, 16, 4096),
            ["dinov2-large"] = new Dinov2Config(518, 14, 1024, 24, 16, 4096),
            ["dinov2-with-registers-large"] = new Dinov2Config(518, 14, 1024, 24, 16, 4096, Registers: 4),
            // Our ShapesWorld model's tower (trained from scratch with the rest): 128 px, 16 x 16 patches.
            ["clip-shapes"] = new ClipVisionConfig(128, 8, 128, 4, 4, 512),
            // The tiny sizes of tools/parity/vision_goldens.py (unit tests, smoke runs).
            ["clip-tiny"] = new ClipVisionConfig(32, 8, 32, 3, 4, 128),
            ["dinov2-tiny"] = new Dinov2Config(32, 8, 32, 3, 4, 128),
            ["dinov2-tiny-reg2"] = new Dinov2Config(32, 8, 32, 3, 4, 128, Registers: 2),
        };

    public static VisionTowerConfig Get(string name) =>
        Configs.TryGetValue(name, out var c) ? c
            : throw new BadInputException($"unknown vision tower '{name}'; known: {string.Join(", ", Configs.Keys)}");
}
