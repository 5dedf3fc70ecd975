namespace VisualWords.Evaluation;

/// <summary>Summary statistics for timings and counts.</summary>
public static class Percentiles
{
    /// <summary>The q-quantile (0..1) with linear interpolation between order statistics (numpy's default).</summary>
    public static double Of(IReadOnlyCollection<double> values, double q)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
