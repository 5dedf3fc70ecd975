namespace VisualWords.Data;

/// <summary>One training/evaluation sample: a sentence, the object it names and that object's image.</summary>
public sealed record ReferSample(ReferRef Ref, ReferSentence Sentence, CocoImage Image, CocoAnnotation Annotation, string ImagePath)
{
    public string Expression => Sentence.Sent;
}

/// <summary>A split's samples, and how many were left out because their image file is missing.</summary>
public sealed record ReferSampleSet(string Split, IReadOnlyList<ReferSample> Samples, int SkippedMissingImages);

/// <summary>
/// A refer-format dataset folder: <c>refs(NAME).p</c> or <c>refs(NAME).json</c>, <c>instances.json</c>
/// and the images (in <c>images/</c> if that folder exists, else beside the annotation files, unless
/// given). RefCOCO/+/g as distributed for the refer API and our own ShapesWorld share this layout.
/// Samples are one per sentence, as LISA evaluates.
/// </summary>
public sealed class ReferDataset
{
    public string Directory { get; }
    public string RefsPath { get; }
    public string ImageDirectory { get; }
    public IReadOnlyList<ReferRef> Refs { get; }
    public CocoInstances Instances { get; }

    ReferDataset(string dir, string refsPath, string imageDir, IReadOnlyList<ReferRef> refs, CocoInstances instances)
    {
        Directory = dir;
        RefsPath = refsPath;
        ImageDirectory = imageDir;
        Refs = refs;
        Instances = instances;
    }

    /// <param name="dir">folder with the refs file and instances.json</param>
    /// <param name="refsName">the NAME in refs(NAME).p/.json; needed only when the folder has several</param>
    /// <param name="imageDir">where image files are; default: dir/images if it exists, else dir</param>
    public static ReferDataset Open(string dir, string? refsName = null, string? imageDir = null)
    {
        if (!System.IO.Directory.Exists(dir)) throw new BadInputException($"dataset folder not found: {dir}");
        var candidates = System.IO.Directory.GetFiles(dir, "refs(*)*")
            .Where(p => p.EndsWith(".p") || p.EndsWith(".json"))
            .Where(p => refsName is null || Path.GetFileName(p).StartsWith($"refs({refsName})."))
            .Order(StringComparer.Ordinal).ToList();
        if (candidates.Count == 0)
            throw new BadInputException($"{dir} has no refs{(refsName is null ? "(NAME)" : $"({refsName})")}.p or .json");
        if (candidates.Count > 1)
            throw new BadInputException($"{dir} has several refs files ({string.Join(", ", candidates.Select(Path.GetFileName))}); choose one by name");
        var refs = ReferRefsReader.Load(candidates[0]);
        var instances = CocoInstances.Load(Path.Combine(dir, "instances.json"));
        imageDir ??= System.IO.Directory.Exists(Path.Combine(dir, "images")) ? Path.Combine(dir, "images") : dir;
        foreach (var r in refs)
        {
            if (!instances.Annotations.TryGetValue(r.AnnId, out var ann))
                throw new BadInputException($"ref {r.RefId} points at annotation {r.AnnId}, which instances.json does not list");
            if (ann.ImageId != r.ImageId)
                throw new BadInputException($"ref {r.RefId} says image {r.ImageId} but its annotation {r.AnnId} is on image {ann.ImageId}");
            if (!instances.Images.ContainsKey(r.ImageId))
                throw new BadInputException($"ref {r.RefId} points at image {r.ImageId}, which instances.json does not list");
        }
        return new ReferDataset(dir, candidates[0], imageDir, refs, instances);
    }

    /// <summary>The splits present, in first-seen order.</summary>
    public IReadOnlyList<string> Splits => Refs.Select(r => r.Split).Distinct().ToList();

    /// <summary>
    /// Refs of a split by the refer API's rules: testA/testB/testC also take combined splits
    /// (e.g. "testAB"), "test" takes every split that contains "test", others match exactly.
    /// </summary>
    public IReadOnlyList<ReferRef> RefsOf(string split) => split switch
    {
        "testA" or "testB" or "testC" => Refs.Where(r => r.Split.StartsWith("test") && r.Split.Contains(split[^1])).ToList(),
        "test" => Refs.Where(r => r.Split.Contains("test")).ToList(),
        _ => Refs.Where(r => r.Split == split).ToList(),
    };

    /// <summary>
    /// One sample per sentence of the split. With <paramref name="skipMissingImages"/>, samples whose
    /// image file does not exist are left out and counted; without it, the first one is an error
    /// naming the file, the ref and the sentence.
    /// </summary>
    public ReferSampleSet Samples(string split, bool skipMissingImages = false)
    {
        var refs = RefsOf(split);
        if (refs.Count == 0)
            throw new BadInputException($"split '{split}' has no refs; this dataset has: {string.Join(", ", Splits)}");
        var samples = new List<ReferSample>();
        int skipped = 0;
        foreach (var r in refs)
        {
            var img = Instances.Images[r.ImageId];
            var path = Path.Combine(ImageDirectory, img.FileName);
            bool exists = File.Exists(path);
            foreach (var s in r.Sentences)
            {
                if (!exists)
                {
                    if (skipMissingImages) { skipped++; continue; }
                    throw new BadInputException(MissingImageMessage(r, s, path));
                }
                samples.Add(new ReferSample(r, s, img, Instances.Annotations[r.AnnId], path));
            }
        }
        return new ReferSampleSet(split, samples, skipped);
    }

    /// <summary>The referred object's mask.</summary>
    public Rle Mask(ReferSample sample) => Instances.Mask(sample.Annotation);

    internal static string MissingImageMessage(ReferRef r, ReferSentence s, string path) =>
        $"image file missing for ref {r.RefId} (sentence {s.SentId} \"{s.Sent}\"): {path} " +
        "(pass --images DIR to point at the image folder, or --skip-missing-images to leave such samples out)";
}
