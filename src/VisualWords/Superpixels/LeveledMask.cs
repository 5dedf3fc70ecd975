using VisualWords.Data;

namespace VisualWords.Superpixels;

/// <summary>
/// One generator mask as the semantic partition needs it: the mask (RLE, image size), its level
/// (0 whole, 1 part, 2 sub-part), its predicted IoU (tie-break) and its index in the generator's output.
/// </summary>
public sealed record LeveledMask(Rle Mask, int Level, double PredictedIou, int Index);
