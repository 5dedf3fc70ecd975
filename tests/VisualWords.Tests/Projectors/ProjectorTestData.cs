using VisualWords.Projectors;
using static TorchSharp.torch;

namespace VisualWords.Tests.Projectors;

/// <summary>Tiny dimensions and hand-made label maps for the projector tests.</summary>
static class ProjectorTestData
{
    public const int C = 32, D = 48, Heads = 4;

    public static SemanticProjectorConfig Semantic(bool sspe = true, bool ssa = true, bool global = true) =>
        new(C, D, UseSspe: sspe, UseSsa: ssa, SsaLayers: 2, SsaHeads: Heads, SsaFfnRatio: 2, SsaGlobal: global, ShapeGrid: 4, SspeHidden: 16);

    public static Tensor Features(int batch, int gh, int gw, long seed)
    {
        var g = new Generator((ulong)seed);
        return randn(batch, gh * gw, C, generator: g);
    }

    /// <summary>
    /// 48 x 48 pixels over a 6 x 6 grid (8-pixel patches): 0 = background, 1 = top-right
    /// quadrant, 2 = a 2 x 3 pixel sliver inside patch (4, 1), 3 = a diagonal-ish stripe.
    /// </summary>
    public static Tensor FourRegions()
    {
        var l = zeros(48, 48, dtype: int64);
        l[..24, 24..] = 1;
        l[33..35, 10..13] = 2;
        for (var y = 26; y < 48; y++) l[y, (y - 4)..(y - 1)] = 3;
        return l;
    }

    /// <summary>30 x 36 pixels (not a multiple of the grid), left / right halves split at x = 20.</summary>
    public static Tensor TwoRegionsOddSize()
    {
        var l = zeros(30, 36, dtype: int64);
        l[.., 20..] = 1;
        return l;
    }
}
