using VisualWords.Imaging;

namespace VisualWords.Sam.Amg;

public enum SmallRegionMode
{
    /// <summary>Fill background components (8-connected) smaller than the threshold.</summary>
    Holes,
    /// <summary>Drop foreground components (8-connected) smaller than the threshold, keeping the largest if all are small.</summary>
    Islands,
}

/// <summary>
/// Post-processing of one everything-mode mask: fills small holes or removes small islands.
/// Runs once per surviving mask after generation, never per prompt.
/// </summary>
public static class SmallRegions
{
    /// <param name="mask">Row-major h×w mask.</param>
    /// <returns>The cleaned mask and whether anything changed.</returns>
    public static (bool[] Mask, bool Changed) Remove(bool[] mask, int h, int w, double areaThreshold, SmallRegionMode mode)
    {
        bool holes = mode == SmallRegionMode.Holes;
        var working = new bool[mask.Length];
        for (int i = 0; i < mask.Length; i++) working[i] = mask[i] ^ holes;
        var (labels, sizes) = ConnectedComponents.Label(working, h, w, 8);
        var small = new bool[sizes.Length];
        bool any = false;
        for (int l = 1; l < sizes.Length; l++)
            if (sizes[l] < areaThreshold) { small[l] = true; any = true; }
        if (!any) return (mask, false);

        // keep[l]: pixels with label l end up true in the result.
        var keep = new bool[sizes.Length];
        if (holes)
        {
            keep[0] = true;                                  // label 0 of the inverted mask = the mask itself
            for (int l = 1; l < sizes.Length; l++) keep[l] = small[l];
        }
        else
        {
            bool anyKept = false;
            for (int l = 1; l < sizes.Length; l++) { keep[l] = !small[l]; anyKept |= keep[l]; }
            if (!anyKept)
            {
                int largest = 1;
                for (int l = 2; l < sizes.Length; l++) if (sizes[l] > sizes[largest]) largest = l;
                keep[largest] = true;
            }
        }
        var result = new bool[mask.Length];
        for (int i = 0; i < mask.Length; i++) result[i] = keep[labels[i]];
        return (result, true);
    }
}
