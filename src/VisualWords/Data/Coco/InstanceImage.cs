namespace VisualWords.Data;

/// <summary>
/// One image of a refer-format dataset with the masks of every object annotated on it (not only the
/// referred ones): what SAM trains and is evaluated on.
/// </summary>
public sealed record InstanceImage(CocoImage Image, string Path, IReadOnlyList<Rle> Masks)
{
    /// <summary>
    /// The images of a split (the images its refs point at), in image-id order, each with all its
    /// annotations' masks in annotation-id order. Images without an object are left out; a missing
    /// image file is an error naming it.
    /// </summary>
    public static IReadOnlyList<InstanceImage> OfSplit(ReferDataset dataset, string split)
    {
        var refs = dataset.RefsOf(split);
        if (refs.Count == 0)
            throw new BadInputException($"split '{split}' has no refs; this dataset has: {string.Join(", ", dataset.Splits)}");
        var byImage = dataset.Instances.Annotations.Values.GroupBy(a => a.ImageId)
            .ToDictionary(g => g.Key, g => g.OrderBy(a => a.Id).ToList());
        var images = new List<InstanceImage>();
        foreach (var id in refs.Select(r => r.ImageId).Distinct().Order())
        {
            if (!byImage.TryGetValue(id, out var anns)) continue;
            var img = dataset.Instances.Images[id];
            var path = System.IO.Path.Combine(dataset.ImageDirectory, img.FileName);
            if (!File.Exists(path)) throw new BadInputException($"image file missing for image {id}: {path}");
            images.Add(new InstanceImage(img, path, anns.Select(dataset.Instances.Mask).ToList()));
        }
        return images;
    }
}
