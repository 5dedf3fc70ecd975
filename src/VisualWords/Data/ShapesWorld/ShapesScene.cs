namespace VisualWords.Data;

/// <summary>
/// One ShapesWorld object. <see cref="Diameter"/> is the bounding diameter in pixels (the
/// circumscribed circle's), <see cref="Rotation"/> in degrees; <see cref="Large"/> is the size
/// class expressions use ("small"/"large").
/// </summary>
public sealed record ShapeObject(string Shape, string Colour, bool Large, double CenterX, double CenterY, double Diameter,
    double Rotation, byte R, byte G, byte B)
{
    public string SizeWord => Large ? "large" : "small";
}

/// <summary>Background: "flat" (colour A), "gradient" (A to B along <see cref="Angle"/>), or "noise" (A with low-contrast value noise).</summary>
public sealed record ShapesBackground(string Kind, (byte R, byte G, byte B) A, (byte R, byte G, byte B) B, double Angle, ulong NoiseSeed);

/// <summary>A square ShapesWorld canvas; <see cref="Objects"/> are in drawing order (later ones on top).</summary>
public sealed record ShapesScene(int Size, ShapesBackground Background, IReadOnlyList<ShapeObject> Objects);
