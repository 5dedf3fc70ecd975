using System.Text.Json;
using VisualWords.Data;

namespace VisualWords.Sam.Amg;

/// <summary>How a mask's segmentation is written (the official generator's output modes that JSON can hold).</summary>
public enum MaskJsonMode
{
    /// <summary>{"size": [h, w], "counts": "compressed string"} as pycocotools writes it.</summary>
    CocoRle,
    /// <summary>{"size": [h, w], "counts": [run lengths]}.</summary>
    UncompressedRle,
}

/// <summary>Writes everything-mode masks as the official generator's records (a JSON array).</summary>
public static class MaskRecordJson
{
    public static void Write(Utf8JsonWriter w, IReadOnlyList<SamMaskRecord> records, MaskJsonMode mode = MaskJsonMode.CocoRle)
    {
        w.WriteStartArray();
        foreach (var r in records)
        {
            w.WriteStartObject();
            w.WritePropertyName("segmentation");
            w.WriteStartObject();
            w.WritePropertyName("size");
            w.WriteStartArray(); w.WriteNumberValue(r.Segmentation.Height); w.WriteNumberValue(r.Segmentation.Width); w.WriteEndArray();
            if (mode == MaskJsonMode.CocoRle) w.WriteString("counts", RleString.Compress(r.Segmentation));
            else
            {
                w.WritePropertyName("counts");
                w.WriteStartArray();
                foreach (var c in r.Segmentation.Counts) w.WriteNumberValue(c);
                w.WriteEndArray();
            }
            w.WriteEndObject();
            w.WriteNumber("area", r.Area);
            Numbers(w, "bbox", r.Bbox.Select(v => (double)v));
            Number(w, "predicted_iou", r.PredictedIou);
            w.WritePropertyName("point_coords");
            w.WriteStartArray(); Numbers(w, null, r.PointCoords); w.WriteEndArray();
            Number(w, "stability_score", r.StabilityScore);
            Numbers(w, "crop_box", r.CropBox.Select(v => (double)v));
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    public static string ToJson(IReadOnlyList<SamMaskRecord> records, MaskJsonMode mode = MaskJsonMode.CocoRle)
    {
        using var ms = new MemoryStream();
        // Relaxed escaping keeps COCO RLE strings (which use ` and other ASCII 48..111) readable.
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })) Write(w, records, mode);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    static void Numbers(Utf8JsonWriter w, string? name, IEnumerable<double> values)
    {
        if (name is not null) w.WritePropertyName(name);
        w.WriteStartArray();
        foreach (var v in values)
            if (double.IsFinite(v)) w.WriteNumberValue(v); else w.WriteNullValue();
        w.WriteEndArray();
    }

    /// <summary>JSON has no NaN or infinity (a flat image's stability score is 0/0): they are written as null.</summary>
    static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteNull(name);
    }
}
