using System.Collections.Concurrent;
using TorchSharp;
using VisualWords.Data;
using VisualWords.Imaging;
using VisualWords.Sam;
using static TorchSharp.torch;

namespace VisualWords.Training;

/// <summary>
/// An image resized the way SAM's predictor resizes it (longest side = model input, PIL bilinear),
/// with its object masks in the same frame (row-major h x w) and the background mask (pixels no
/// object covers). Objects too small to keep a pixel after resizing are dropped.
/// </summary>
public sealed record SamTrainingImage(RgbImage Resized, IReadOnlyList<bool[]> Masks, bool[] Background)
{
    public int Height => Resized.Height;
    public int Width => Resized.Width;
}

/// <summary>
/// Loads and resizes <see cref="InstanceImage"/>s for SAM training on worker threads; with caching
/// on, each image is decoded once per run (ShapesWorld at 128 px is ~50 KB per image).
/// </summary>
public sealed class SamTrainingImages(IReadOnlyList<InstanceImage> images, int inputSize, bool cache)
{
    readonly ConcurrentDictionary<int, SamTrainingImage> _cache = new();

    public IReadOnlyList<InstanceImage> Images => images;
    public int Count => images.Count;

    public SamTrainingImage Get(int index) =>
        cache ? _cache.GetOrAdd(index, i => Load(images[i], inputSize)) : Load(images[index], inputSize);

    public static SamTrainingImage Load(InstanceImage item, int inputSize)
    {
        var img = ImageIO.Load(item.Path);
        if (img.Width != item.Image.Width || img.Height != item.Image.Height)
            throw new BadInputException($"{item.Path} is {img.Width}x{img.Height} but instances.json says {item.Image.Width}x{item.Image.Height}");
        var resized = ResizeLongestSide.ApplyImage(img, inputSize);
        var masks = ResizeMasks(item.Masks, resized.Height, resized.Width).Where(m => Array.IndexOf(m, true) >= 0).ToList();
        var background = new bool[resized.Height * resized.Width];
        Array.Fill(background, true);
        foreach (var m in masks)
            for (int i = 0; i < m.Length; i++)
                if (m[i]) background[i] = false;
        return new SamTrainingImage(resized, masks, background);
    }

    /// <summary>Area-averages each mask to h x w and keeps pixels at least half covered.</summary>
    static IEnumerable<bool[]> ResizeMasks(IReadOnlyList<Rle> rles, int h, int w)
    {
        if (rles.Count == 0) return [];
        using var scope = torch.NewDisposeScope();
        var stacked = torch.stack(rles.Select(RleEncoding.DecodeTensor).ToArray()).unsqueeze(0).to(ScalarType.Float32);
        var small = nn.functional.interpolate(stacked, [h, w], mode: InterpolationMode.Area).squeeze(0) >= 0.5f;
        return Enumerable.Range(0, rles.Count).Select(i => small[i].contiguous().data<bool>().ToArray()).ToList();
    }
}
