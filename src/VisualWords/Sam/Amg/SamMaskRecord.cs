using VisualWords.Data;

namespace VisualWords.Sam.Amg;

/// <summary>
/// One everything-mode mask with the fields of the official generator's records (segmentation,
/// area, bbox XYWH, predicted_iou, point_coords, stability_score, crop_box XYWH) plus where it came
/// from: SAM's multimask output index and its level among the three outputs of its point
/// (0 whole, 1 part, 2 sub-part, by area before filtering) for the semantic superpixels.
/// The official bbox has W = x1 − x0 with inclusive pixel indices (one less than the pixel extent).
/// </summary>
public sealed record SamMaskRecord(
    Rle Segmentation,
    long Area,
    long[] Bbox,
    double PredictedIou,
    double[] PointCoords,
    double StabilityScore,
    int[] CropBox,
    int MultimaskIndex,
    int Level);
