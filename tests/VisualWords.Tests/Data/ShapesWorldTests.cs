using VisualWords.Data;

namespace VisualWords.Tests.Data;

public class ShapesWorldTests
{
    // More test scenes than the default 5% each, so a few dozen images cover every split.
    static readonly ShapesWorldOptions Options = new()
    {
        Size = 128, ValFraction = 0.1, TestAFraction = 0.2, TestBFraction = 0.2, CompositionalFraction = 0.2,
    };

    [Fact]
    public void Same_seed_same_files_other_seed_other_files()
    {
        using var a = Fixtures.TempDir();
        using var b = Fixtures.TempDir();
        using var c = Fixtures.TempDir();
        ShapesWorldWriter.Write(a.Path, 6, seed: 7, Options, threads: 2);
        ShapesWorldWriter.Write(b.Path, 6, seed: 7, Options, threads: 1);
        ShapesWorldWriter.Write(c.Path, 6, seed: 8, Options, threads: 1);
        foreach (var f in new[] { "instances.json", ShapesWorldWriter.RefsFileName, "images/000000.png", "images/000005.png" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, f)), File.ReadAllBytes(Path.Combine(b.Path, f)));
            Assert.NotEqual(File.ReadAllBytes(Path.Combine(a.Path, f)), File.ReadAllBytes(Path.Combine(c.Path, f)));
        }
        // Resuming into a folder keeps existing images; another seed there is refused.
        File.Delete(Path.Combine(b.Path, "images", "000003.png"));
        var resumed = ShapesWorldWriter.Write(b.Path, 6, seed: 7, Options, threads: 1);
        Assert.Equal(5, resumed.ImagesReused);
        Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, "images/000003.png")), File.ReadAllBytes(Path.Combine(b.Path, "images/000003.png")));
        Assert.Throws<BadInputException>(() => ShapesWorldWriter.Write(b.Path, 6, seed: 9, Options, threads: 1));
    }

    [Fact]
    public void Every_expression_names_exactly_its_object_by_an_independent_reading()
    {
        using var dir = Fixtures.TempDir();
        ShapesWorldWriter.Write(dir.Path, 40, seed: 3, Options, threads: 2);
        var ds = ReferDataset.Open(dir.Path);
        var byImage = ds.Instances.Annotations.Values.GroupBy(a => a.ImageId).ToDictionary(g => g.Key, g => g.Select(a =>
        {
            var mask = RleEncoding.Decode(ds.Instances.Mask(a));
            int size = ds.Instances.Images[a.ImageId].Width;
            var pixels = Enumerable.Range(0, mask.Length).Where(p => mask[p]).ToList();
            return new ShapesResolver.Obj(a.Id, a.Extra["shape"].GetString()!, a.Extra["colour"].GetString()!, a.Extra["size"].GetString()!,
                pixels.Average(p => p % size), pixels.Average(p => p / size), pixels.Count);
        }).ToList());
        int sentences = 0;
        var kinds = new HashSet<string>();
        foreach (var r in ds.Refs)
            foreach (var s in r.Sentences)
            {
                var found = ShapesResolver.Resolve(s.Sent, byImage[r.ImageId]);
                Assert.True(found.Count == 1 && found[0].Id == r.AnnId,
                    $"'{s.Sent}' (ref {r.RefId}) resolves to [{string.Join(",", found.Select(f => f.Id))}]");
                Assert.Equal(s.Sent.ToLowerInvariant(), s.Sent);
                sentences++;
                foreach (var k in new[] { " left of ", " above ", "most ", "largest", "smallest", "box", "disk", "to the " })
                    if (s.Sent.Contains(k)) kinds.Add(k);
            }
        Assert.True(sentences > 100, $"only {sentences} sentences");
        Assert.Equal(8, kinds.Count); // relations, extremes and synonyms all occur
    }

    [Fact]
    public void Masks_are_the_rendered_visible_pixels_and_no_object_is_more_than_30_percent_hidden()
    {
        int interior = 0;
        for (int index = 0; index < 12; index++)
        {
            var img = ShapesWorldGenerator.Generate(seed: 11, index, Options);
            int size = img.Scene.Size;
            var silhouettes = img.Scene.Objects.Select(o => ShapesRenderer.Silhouette(o, size)).ToList();
            var rgb = ShapesRenderer.RenderRgb(img.Scene);
            for (int i = 0; i < img.Annotations.Count; i++)
            {
                var a = img.Annotations[i];
                var mask = RleEncoding.Decode(a.Mask);
                long full = silhouettes[i].Sum(b => (long)b);
                Assert.Equal(full, a.FullArea);
                Assert.True(a.Fact.Area >= 0.7 * full, $"image {index} object {i}: {a.Fact.Area} of {full} visible");
                for (int p = 0; p < mask.Length; p++)
                {
                    // Visible = covered by this object and by no object drawn later.
                    bool visible = silhouettes[i][p] != 0 && silhouettes.Skip(i + 1).All(s => s[p] == 0);
                    Assert.Equal(visible, mask[p]);
                }
                // Inside the mask (2 px from any edge, where antialiasing of this or a later object's
                // edge - even a star tip too thin to cover a pixel centre - cannot reach), the image
                // shows exactly the object's colour.
                for (int y = 2; y < size - 2; y++)
                    for (int x = 2; x < size - 2; x++)
                    {
                        bool inside = true;
                        for (int dy = -2; dy <= 2 && inside; dy++)
                            for (int dx = -2; dx <= 2 && inside; dx++) inside = mask[(y + dy) * size + x + dx];
                        if (!inside) continue;
                        int q = (y * size + x) * 3;
                        Assert.Equal((a.Object.R, a.Object.G, a.Object.B), (rgb[q], rgb[q + 1], rgb[q + 2]));
                        interior++;
                    }
            }
        }
        Assert.True(interior > 5000, $"only {interior} interior pixels checked");
    }

    [Fact]
    public void Splits_follow_the_rules()
    {
        var heldOut = Options.HeldOut.ToHashSet();
        var seen = new HashSet<string>();
        for (int index = 0; index < 60; index++)
        {
            var img = ShapesWorldGenerator.Generate(seed: 5, index, Options);
            seen.Add(img.Split);
            int n = img.Scene.Objects.Count;
            Assert.InRange(n, 1, 10);
            if (img.Split == "testA") Assert.InRange(n, 1, 4);
            if (img.Split == "testB") Assert.InRange(n, 7, 10);
            bool anyHeldOut = img.Scene.Objects.Any(o => heldOut.Contains((o.Colour, o.Shape)));
            Assert.Equal(img.Split == "compositional", anyHeldOut);
            foreach (var (obj, _) in img.Refs)
            {
                var o = img.Scene.Objects[obj];
                Assert.Equal(img.Split == "compositional", heldOut.Contains((o.Colour, o.Shape)));
            }
            Assert.All(img.Scene.Objects, o => Assert.InRange(o.Diameter / img.Scene.Size, o.Large ? 0.22 : 0.08, o.Large ? 0.32 : 0.14));
        }
        Assert.Equal(["compositional", "testA", "testB", "train", "val"], seen.Order());
    }

    [Fact]
    public void Hand_made_scene_gets_the_expected_expressions()
    {
        // Red large circle at (50,50), blue small circle at (150,50), red small square at (50,150); canvas 200.
        ShapesFact[] facts =
        [
            new(0, "circle", "red", "large", 50, 50, 2000),
            new(1, "circle", "blue", "small", 150, 50, 500),
            new(2, "square", "red", "small", 50, 150, 600),
        ];
        var o = new ShapesExpressions.Options(MaxRelations: 5, MaxExtremes: 5, SynonymChance: 0, LeadingTheChance: 1);
        var e = ShapesExpressions.For(0, facts, 200, new DeterministicRandom(1), o);
        Assert.Equal(["the red circle", "the large circle"], e.Where(x => x.Kind == "attribute").Select(x => x.Text));
        // "circle" alone is ambiguous, so that relation comes first; for "above the square" the blue
        // circle is on the diagonal (not clearly not above), so the target needs its colour.
        Assert.Equal(["the circle left of the blue circle", "the red circle above the square"], e.Where(x => x.Kind == "relation").Select(x => x.Text));
        Assert.Equal(["the largest circle", "the leftmost circle"], e.Where(x => x.Kind == "extreme").Select(x => x.Text).Order());
        // The square is unique by shape; the blue circle by colour or by size.
        Assert.Equal(["the square"], ShapesExpressions.For(2, facts, 200, new DeterministicRandom(1), o).Where(x => x.Kind == "attribute").Select(x => x.Text));
        Assert.Equal(["the blue circle", "the small circle"], ShapesExpressions.For(1, facts, 200, new DeterministicRandom(1), o).Where(x => x.Kind == "attribute").Select(x => x.Text));
    }
}
