using System.Diagnostics;
using System.Text.Json;

namespace VisualWords.Data;

/// <summary>What a ShapesWorld run wrote.</summary>
public sealed record ShapesWorldSummary(int Images, int ImagesReused, IReadOnlyDictionary<string, int> ImagesPerSplit,
    IReadOnlyDictionary<string, int> RefsPerSplit, int Sentences, double Seconds);

/// <summary>
/// Writes a ShapesWorld dataset in the refer layout: <c>images/NNNNNN.png</c>, <c>instances.json</c>
/// (RLE masks of every object's visible part, plus the object's shape, colour, size and colour
/// value) and <c>refs(shapes).json</c>. Images are made in parallel, each written atomically;
/// an image already on disk is not re-encoded (it is the same image: generation is a function of
/// seed and index), so a killed run resumes where it stopped. The JSON files are written last,
/// atomically.
/// </summary>
public static class ShapesWorldWriter
{
    public const string RefsFileName = "refs(shapes).json";

    public static ShapesWorldSummary Write(string outDir, int count, long seed, ShapesWorldOptions options, int threads = 0, Action<int>? progress = null)
    {
        if (count < 1) throw new BadInputException($"--count {count}: make at least one image");
        options.Validate();
        var watch = Stopwatch.StartNew();
        var imageDir = Path.Combine(outDir, "images");
        Directory.CreateDirectory(imageDir);
        CheckSameRecipe(outDir, seed, options);

        var images = new ShapesImage[count];
        int done = 0, reused = 0;
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount }, i =>
        {
            var img = ShapesWorldGenerator.Generate(seed, i, options);
            var path = Path.Combine(imageDir, FileName(i));
            if (File.Exists(path) && new FileInfo(path).Length > 0) Interlocked.Increment(ref reused);
            else WriteAtomically(path, ShapesRenderer.EncodePng(img.Scene));
            images[i] = img;
            progress?.Invoke(Interlocked.Increment(ref done));
        });

        WriteAtomically(Path.Combine(outDir, "instances.json"), InstancesJson(images, seed, options));
        WriteAtomically(Path.Combine(outDir, RefsFileName), RefsJson(images));
        return new ShapesWorldSummary(count, reused,
            images.GroupBy(i => i.Split).ToDictionary(g => g.Key, g => g.Count()),
            images.GroupBy(i => i.Split).ToDictionary(g => g.Key, g => g.Sum(i => i.Refs.Count)),
            images.Sum(i => i.Refs.Sum(r => r.Expressions.Count)), watch.Elapsed.TotalSeconds);
    }

    public static string FileName(int index) => $"{index:D6}.png";
    public static long ImageId(int index) => index + 1L;
    /// <summary>Unique per object: at most 10 objects per image.</summary>
    public static long AnnotationId(int index, int obj) => ImageId(index) * 100 + obj + 1;

    /// <summary>Resuming into a folder made from another seed or recipe would mix two datasets.</summary>
    static void CheckSameRecipe(string outDir, long seed, ShapesWorldOptions options)
    {
        var recipePath = Path.Combine(outDir, "shapes_world.json");
        var recipe = Recipe(seed, options);
        if (File.Exists(recipePath))
        {
            var existing = File.ReadAllText(recipePath);
            if (existing != recipe)
                throw new BadInputException($"{outDir} holds a ShapesWorld made with another seed or options ({recipePath}); choose another --out");
        }
        else WriteAtomically(recipePath, System.Text.Encoding.UTF8.GetBytes(recipe));
    }

    static string Recipe(long seed, ShapesWorldOptions o) => JsonSerializer.Serialize(new
    {
        generator = "VisualWords ShapesWorld v1",
        seed,
        size = o.Size,
        held_out = o.HeldOut.Select(p => new[] { p.Colour, p.Shape }),
        fractions = new { val = o.ValFraction, testA = o.TestAFraction, testB = o.TestBFraction, compositional = o.CompositionalFraction },
    });

    static byte[] InstancesJson(ShapesImage[] images, long seed, ShapesWorldOptions options)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WritePropertyName("info");
            using (var recipe = JsonDocument.Parse(Recipe(seed, options))) recipe.RootElement.WriteTo(w);
            w.WriteStartArray("images");
            foreach (var img in images)
            {
                w.WriteStartObject();
                w.WriteNumber("id", ImageId(img.Index));
                w.WriteString("file_name", FileName(img.Index));
                w.WriteNumber("height", img.Scene.Size);
                w.WriteNumber("width", img.Scene.Size);
                w.WriteString("split", img.Split);
                w.WriteString("background", img.Scene.Background.Kind);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("annotations");
            foreach (var img in images)
                for (int k = 0; k < img.Annotations.Count; k++)
                {
                    var a = img.Annotations[k];
                    var o = a.Object;
                    w.WriteStartObject();
                    w.WriteNumber("id", AnnotationId(img.Index, k));
                    w.WriteNumber("image_id", ImageId(img.Index));
                    w.WriteNumber("category_id", ShapesWorldSpec.ShapeIndex(o.Shape) + 1);
                    w.WriteStartObject("segmentation");
                    w.WriteStartArray("size"); w.WriteNumberValue(a.Mask.Height); w.WriteNumberValue(a.Mask.Width); w.WriteEndArray();
                    w.WriteString("counts", RleString.Compress(a.Mask));
                    w.WriteEndObject();
                    w.WriteNumber("area", a.Fact.Area);
                    w.WriteStartArray("bbox"); foreach (var v in a.Bbox) w.WriteNumberValue(v); w.WriteEndArray();
                    w.WriteNumber("iscrowd", 0);
                    w.WriteString("shape", o.Shape);
                    w.WriteString("colour", o.Colour);
                    w.WriteString("size", o.SizeWord);
                    w.WriteStartArray("rgb"); w.WriteNumberValue(o.R); w.WriteNumberValue(o.G); w.WriteNumberValue(o.B); w.WriteEndArray();
                    w.WriteNumber("full_area", a.FullArea);
                    w.WriteNumber("z", k);
                    w.WriteStartArray("center"); w.WriteNumberValue(Math.Round(o.CenterX, 3)); w.WriteNumberValue(Math.Round(o.CenterY, 3)); w.WriteEndArray();
                    w.WriteNumber("diameter", Math.Round(o.Diameter, 3));
                    w.WriteNumber("rotation", Math.Round(o.Rotation, 3));
                    w.WriteEndObject();
                }
            w.WriteEndArray();
            w.WriteStartArray("categories");
            for (int c = 0; c < ShapesWorldSpec.Shapes.Count; c++)
            {
                w.WriteStartObject();
                w.WriteNumber("id", c + 1);
                w.WriteString("name", ShapesWorldSpec.Shapes[c]);
                w.WriteString("supercategory", "shape");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    static byte[] RefsJson(ShapesImage[] images)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartArray();
            foreach (var img in images)
                foreach (var (obj, expressions) in img.Refs)
                {
                    long annId = AnnotationId(img.Index, obj);
                    w.WriteStartObject();
                    w.WriteNumber("ref_id", annId);
                    w.WriteNumber("ann_id", annId);
                    w.WriteNumber("image_id", ImageId(img.Index));
                    w.WriteNumber("category_id", ShapesWorldSpec.ShapeIndex(img.Annotations[obj].Object.Shape) + 1);
                    w.WriteString("split", img.Split);
                    w.WriteString("file_name", FileName(img.Index));
                    w.WriteStartArray("sent_ids");
                    for (int s = 0; s < expressions.Count; s++) w.WriteNumberValue(annId * 10 + s);
                    w.WriteEndArray();
                    w.WriteStartArray("sentences");
                    for (int s = 0; s < expressions.Count; s++)
                    {
                        var e = expressions[s];
                        w.WriteStartObject();
                        w.WriteNumber("sent_id", annId * 10 + s);
                        w.WriteString("sent", e.Text);
                        w.WriteString("raw", e.Text);
                        w.WriteStartArray("tokens"); foreach (var t in e.Text.Split(' ')) w.WriteStringValue(t); w.WriteEndArray();
                        w.WriteString("kind", e.Kind);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
            w.WriteEndArray();
        }
        return ms.ToArray();
    }

    static void WriteAtomically(string path, byte[] bytes)
    {
        var tmp = path + $".tmp{Environment.CurrentManagedThreadId}";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, path, overwrite: true);
    }
}
