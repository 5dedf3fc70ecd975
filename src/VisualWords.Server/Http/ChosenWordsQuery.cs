using System.Globalization;

namespace VisualWords.Server.Http;

/// <summary>
/// The words GET /api/images/{id}/words outlines: <c>?chosen=REGION:SCORE,...</c>, as an answer's
/// <c>words</c> give them (the page passes those of the answer it shows). The legend lists them with
/// their scores; ids the image has no word for are ignored, as <c>segment --words-overlay</c> ignores them.
/// </summary>
public static class ChosenWordsQuery
{
    /// <summary>Word id → score (the best, where an id is named twice); null when none is given.</summary>
    public static IReadOnlyDictionary<int, double>? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var chosen = new Dictionary<int, double>();
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = item.Split(':');
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int region)
                || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double score) || !double.IsFinite(score))
                throw ApiProblemException.BadRequest($"chosen: '{(item.Length <= 40 ? item : item[..40] + "…")}' is not REGION:SCORE (e.g. ?chosen=3:1.25,7:0.4)");
            chosen[region] = chosen.TryGetValue(region, out var s) ? Math.Max(s, score) : score;
        }
        return chosen;
    }
}
