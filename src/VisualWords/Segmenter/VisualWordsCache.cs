using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using VisualWords.Superpixels;

namespace VisualWords.Segmenter;

/// <summary>
/// Visual words kept on disk between runs: one <see cref="SuperpixelFile"/> per image (the format
/// <c>precompute</c> writes), named by a hash of the image file's bytes, in a sub-folder named by a fingerprint of everything that decides the
/// words — the model's superpixel settings and every weight of the frozen SAM that runs everything
/// mode. A model with other settings or other SAM weights gets its own sub-folder, so a stale word
/// is never read; a corrupt file is computed again. Files are written atomically.
/// </summary>
public sealed class VisualWordsCache
{
    public string Directory { get; }
    public string Fingerprint { get; }

    VisualWordsCache(string directory, string fingerprint) => (Directory, Fingerprint) = (directory, fingerprint);

    /// <summary>The cache of <paramref name="model"/>'s words under <paramref name="root"/> (created on first write).</summary>
    public static VisualWordsCache Open(string root, VisualWordsModel model)
    {
        var fingerprint = FingerprintOf(model);
        return new VisualWordsCache(Path.Combine(Path.GetFullPath(root), fingerprint[..16]), fingerprint);
    }

    /// <summary>SHA-256 of the superpixel settings and of the SAM weights everything mode uses (hex).</summary>
    public static string FingerprintOf(VisualWordsModel model)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(model.Config.Superpixels, VisualWordsConfig.Json)));
        if (model.Config.Superpixels.Kind == "semantic")
        {
            var modules = model.words_sam is { } words
                ? new TorchSharp.torch.nn.Module[] { model.visual_model.ImageEncoder, words }
                : [model.visual_model];
            foreach (var module in modules)
                foreach (var (name, t) in module.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    sha.AppendData(Encoding.UTF8.GetBytes(name));
                    using var c = t.detach().cpu().contiguous();
                    if (c.numel() > 0) sha.AppendData(c.bytes);
                }
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>An image's key: the SHA-256 of its file's bytes (a regenerated image never meets old words).</summary>
    public static string KeyOf(string imagePath)
    {
        using var f = File.OpenRead(imagePath);
        return Convert.ToHexStringLower(SHA256.HashData(f))[..32];
    }

    string PathOf(string imageKey) => PrecomputePlan.OutputPath(Directory, imageKey);

    /// <summary>The cached words of an image (<see cref="KeyOf"/>), or null when absent or unreadable.</summary>
    public SuperpixelPartition? TryLoad(string imageKey)
    {
        var path = PathOf(imageKey);
        if (!File.Exists(path)) return null;
        try
        {
            var content = SuperpixelFile.Load(path);
            return content.Image == imageKey ? content.Partition : null;
        }
        catch (BadInputException)
        {
            return null;   // corrupt: computed again and overwritten
        }
    }

    public void Save(string imageKey, SuperpixelPartition words, string method)
    {
        var path = PathOf(imageKey);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        SuperpixelFile.Save(path, new SuperpixelFile.Content(imageKey, method, 0, words));
    }
}
