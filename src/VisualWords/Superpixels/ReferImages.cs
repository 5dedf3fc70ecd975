using System.Text.Json;

namespace VisualWords.Superpixels;

/// <summary>
/// The images of a refer-format dataset folder (refs(NAME).p/.json + instances.json; image files in
/// DIR/images if that folder exists, else in DIR): every image instances.json lists — the refer
/// distributions list exactly the images their refs use.
/// </summary>
public static class ReferImages
{
    public static PrecomputePlan Plan(string datasetDir, string method, string settings)
    {
        var instances = Path.Combine(datasetDir, "instances.json");
        if (!File.Exists(instances)) throw new BadInputException($"{datasetDir} has no instances.json (is it a refer-format dataset folder?)");
        var imageDir = Directory.Exists(Path.Combine(datasetDir, "images")) ? Path.Combine(datasetDir, "images") : datasetDir;
        List<string> files;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(instances));
            files = doc.RootElement.GetProperty("images").EnumerateArray()
                .Select(i => i.GetProperty("file_name").GetString() ?? throw new BadInputException($"{instances}: an image has no file_name"))
                .Distinct().Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new BadInputException($"{instances}: cannot read the image list ({e.Message})", e);
        }
        var missing = files.Where(f => !File.Exists(Path.Combine(imageDir, f))).ToList();
        if (missing.Count > 0)
            throw new BadInputException($"{missing.Count} of {files.Count} images of {instances} are missing under {imageDir} " +
                $"(e.g. {string.Join(", ", missing.Take(3))})");
        if (files.Count == 0) throw new BadInputException($"{instances} lists no images");
        return new PrecomputePlan("refer", Path.GetFullPath(imageDir), files, method, settings);
    }
}
