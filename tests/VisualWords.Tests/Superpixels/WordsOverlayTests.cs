using VisualWords.Imaging;
using VisualWords.Superpixels;

namespace VisualWords.Tests.Superpixels;

public class WordsOverlayTests
{
    const int W = 40, H = 30;

    /// <summary>A flat grey 40x30 image: word 0 the left half, word 1 the top right, word 2 the bottom right.</summary>
    static (RgbImage Image, SuperpixelPartition Words) Scene()
    {
        var labels = new int[W * H];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) labels[y * W + x] = x < 20 ? 0 : y < 15 ? 1 : 2;
        var img = new RgbImage(W, H, Enumerable.Repeat((byte)100, W * H * 3).ToArray());
        return (img, SuperpixelPartition.FromLabels(labels, H, W, _ => (RegionSource.Uncovered, -1)));
    }

    static int Brightness(RgbImage img, int x, int y) => img[x, y].R + img[x, y].G + img[x, y].B;

    [Fact]
    public void Chosen_words_are_outlined_the_others_faded_and_a_legend_maps_ids_to_colours()
    {
        var (img, words) = Scene();
        int s = WordsOverlay.Scale(W, H);
        Assert.Equal(13, s);   // 40 px -> 520 px, at least 512
        var plain = WordsOverlay.Draw(img, words);
        var chosen = WordsOverlay.Draw(img, words, new Dictionary<int, double> { [1] = 2.5 });

        // The legend is a panel right of the scaled image, with a swatch of each word's palette colour.
        Assert.True(plain.Width > W * s && plain.Height >= H * s, $"{plain.Width}x{plain.Height}");
        var palette = Overlay.Palette(3);
        bool InLegend(RgbImage o, (byte, byte, byte) c)
        {
            for (int y = 0; y < o.Height; y++)
                for (int x = W * s; x < o.Width; x++)
                    if (o[x, y] == c) return true;
            return false;
        }
        Assert.All(palette, c => Assert.True(InLegend(plain, c), $"no swatch of {c}"));

        // Word 1 (x 20..39, y 0..14): a black contour just inside its left border, which the plain overlay lacks.
        int cx = 20 * s + 1, cy = 7 * s;
        Assert.Equal(((byte)0, (byte)0, (byte)0), chosen[cx, cy]);
        Assert.NotEqual(plain[cx, cy], chosen[cx, cy]);
        // Words 0 and 2 are faded (washed towards white); the plain overlay fades nothing.
        Assert.True(Brightness(chosen, 5 * s, 5 * s) > Brightness(plain, 5 * s, 5 * s) + 100);
        Assert.True(Brightness(chosen, 35 * s, 27 * s) > Brightness(plain, 35 * s, 27 * s) + 100);
        Assert.Equal(plain[30 * s, 10 * s + s / 2 + 20], chosen[30 * s, 10 * s + s / 2 + 20]);   // word 1's tint itself is kept
    }

    [Fact]
    public void Unknown_word_ids_are_ignored_and_large_images_are_not_scaled()
    {
        var (img, words) = Scene();
        var drawn = WordsOverlay.Draw(img, words, new Dictionary<int, double> { [7] = 1.0, [-1] = 0.5 });
        Assert.Equal(WordsOverlay.Draw(img, words).Pixels, drawn.Pixels);
        Assert.Equal(1, WordsOverlay.Scale(1024, 300));
        Assert.Equal(2, WordsOverlay.Scale(256, 256));
    }
}
