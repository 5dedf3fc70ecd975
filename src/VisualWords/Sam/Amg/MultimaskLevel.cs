namespace VisualWords.Sam.Amg;

/// <summary>
/// The granularity of one of SAM's multimask outputs for a point: 0 whole, 1 part, 2 sub-part.
/// SAM's output order is learned, not guaranteed, so the level is the output's rank by area among
/// the outputs of the same point (largest = whole; equal areas: the higher output index counts as larger).
/// </summary>
public static class MultimaskLevel
{
    public static int FromAreas(int outputIndex, ReadOnlySpan<long> areasOfThisPoint)
    {
        long mine = areasOfThisPoint[outputIndex];
        int larger = 0;
        for (int i = 0; i < areasOfThisPoint.Length; i++)
            if (areasOfThisPoint[i] > mine || (areasOfThisPoint[i] == mine && i > outputIndex)) larger++;
        return Math.Min(larger, 2);
    }
}
