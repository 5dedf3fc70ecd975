using System.Text.Json;

namespace VisualWords.Data;

public sealed record CocoImage(long Id, string FileName, int Height, int Width);

public sealed record CocoCategory(long Id, string Name, string Supercategory);

/// <summary>
/// A COCO annotation. <see cref="Segmentation"/> is kept as JSON (polygons or RLE) and turned
/// into a mask on demand by <see cref="CocoSegmentation"/>; <see cref="Extra"/> holds fields COCO
/// does not define (ShapesWorld stores an object's shape, colour and size there).
/// </summary>
public sealed record CocoAnnotation(long Id, long ImageId, long CategoryId, JsonElement Segmentation, double Area,
    double[] Bbox, bool IsCrowd, IReadOnlyDictionary<string, JsonElement> Extra);

/// <summary>A COCO <c>instances.json</c>: images, annotations and categories by id.</summary>
public sealed class CocoInstances
{
    public IReadOnlyDictionary<long, CocoImage> Images { get; }
    public IReadOnlyDictionary<long, CocoAnnotation> Annotations { get; }
    public IReadOnlyDictionary<long, CocoCategory> Categories { get; }

    CocoInstances(Dictionary<long, CocoImage> images, Dictionary<long, CocoAnnotation> annotations, Dictionary<long, CocoCategory> categories)
    {
        Images = images;
        Annotations = annotations;
        Categories = categories;
    }

    static readonly HashSet<string> CocoAnnotationKeys = ["id", "image_id", "category_id", "segmentation", "area", "bbox", "iscrowd"];

    public static CocoInstances Load(string path)
    {
        if (!File.Exists(path)) throw new BadInputException($"instances file not found: {path}");
        JsonElement root;
        try { root = JsonDocument.Parse(File.ReadAllBytes(path)).RootElement; }
        catch (JsonException e) { throw new BadInputException($"{path}: not valid JSON ({e.Message})"); }
        try { return Parse(root); }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new BadInputException($"{path}: not a COCO instances file ({e.Message})");
        }
    }

    public static CocoInstances Parse(JsonElement root)
    {
        var images = new Dictionary<long, CocoImage>();
        foreach (var i in root.GetProperty("images").EnumerateArray())
        {
            var img = new CocoImage(i.GetProperty("id").GetInt64(), i.GetProperty("file_name").GetString()!,
                i.GetProperty("height").GetInt32(), i.GetProperty("width").GetInt32());
            if (img.Height <= 0 || img.Width <= 0) throw new BadInputException($"image {img.Id} has size {img.Height}x{img.Width}");
            images[img.Id] = img;
        }
        var annotations = new Dictionary<long, CocoAnnotation>();
        foreach (var a in root.GetProperty("annotations").EnumerateArray())
        {
            var extra = new Dictionary<string, JsonElement>();
            foreach (var p in a.EnumerateObject().Where(p => !CocoAnnotationKeys.Contains(p.Name))) extra[p.Name] = p.Value;   // a repeated key: the last wins, as in Python's json
            var ann = new CocoAnnotation(a.GetProperty("id").GetInt64(), a.GetProperty("image_id").GetInt64(),
                a.GetProperty("category_id").GetInt64(), a.GetProperty("segmentation"),
                a.TryGetProperty("area", out var area) ? area.GetDouble() : double.NaN,
                a.TryGetProperty("bbox", out var bb) ? bb.EnumerateArray().Select(v => v.GetDouble()).ToArray() : [],
                a.TryGetProperty("iscrowd", out var crowd) && crowd.GetInt32() != 0, extra);
            annotations[ann.Id] = ann;
        }
        var categories = new Dictionary<long, CocoCategory>();
        if (root.TryGetProperty("categories", out var cats))
            foreach (var c in cats.EnumerateArray())
                categories[c.GetProperty("id").GetInt64()] = new CocoCategory(c.GetProperty("id").GetInt64(), c.GetProperty("name").GetString()!,
                    c.TryGetProperty("supercategory", out var s) ? s.GetString() ?? "" : "");
        return new CocoInstances(images, annotations, categories);
    }

    /// <summary>The annotation's mask at its image's size.</summary>
    public Rle Mask(CocoAnnotation ann)
    {
        var img = Images.TryGetValue(ann.ImageId, out var i) ? i
            : throw new BadInputException($"annotation {ann.Id} points at image {ann.ImageId}, which instances.json does not list");
        try { return CocoSegmentation.ToRle(ann.Segmentation, img.Height, img.Width); }
        catch (BadInputException e) { throw new BadInputException($"annotation {ann.Id}: {e.Message}", e); }
    }
}
