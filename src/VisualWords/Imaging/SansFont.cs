using SkiaSharp;

namespace VisualWords.Imaging;

/// <summary>
/// The sans-serif family for text in pictures (legends, charts). SkiaSharp's default typeface on
/// Linux is whichever font it finds first (a serif face on our Debian machines), so a sans family is
/// asked for by name; with none of them installed, Skia's default is used.
/// </summary>
public static class SansFont
{
    static readonly string[] Candidates = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica"];

    /// <summary>The first installed candidate, or null.</summary>
    public static string? Family { get; } = Candidates.FirstOrDefault(SKFontManager.Default.FontFamilies.Contains);

    /// <summary>The family in <paramref name="style"/> (caller disposes).</summary>
    public static SKTypeface Typeface(SKFontStyle style) => SKTypeface.FromFamilyName(Family, style);
}
