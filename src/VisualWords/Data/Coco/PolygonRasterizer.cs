namespace VisualWords.Data;

/// <summary>
/// COCO's polygon rasterizer, so that our masks of COCO polygons equal pycocotools' pixel for
/// pixel. It is not a scanline fill: the outline is traced at 5x resolution with rounded
/// integer steps, every crossing of a pixel-column centre becomes a boundary point (the first set
/// pixel below it in that column), and the column-major run lengths are the sorted differences of
/// those boundary positions. A pixel is set roughly when its centre is inside, with the
/// reference's particular rounding on edges.
/// </summary>
public static class PolygonRasterizer
{
    const double Scale = 5;

    /// <summary>Rasterizes one polygon given as x0, y0, x1, y1, ... in pixel coordinates.</summary>
    public static Rle FromPolygon(ReadOnlySpan<double> xy, int height, int width)
    {
        if (height <= 0 || width <= 0) throw new BadInputException($"cannot rasterize into a {height}x{width} canvas");
        if (xy.Length % 2 != 0) throw new BadInputException($"polygon has an odd number of coordinates ({xy.Length})");
        int k = xy.Length / 2;
        foreach (var v in xy)
            if (!double.IsFinite(v) || Math.Abs(v) > 1e8) throw new BadInputException($"polygon coordinate {v} is not a usable number");

        // Outline vertices on the 5x grid, closed.
        var x = new int[k + 1];
        var y = new int[k + 1];
        for (int j = 0; j < k; j++) x[j] = (int)(Scale * xy[2 * j] + .5);
        for (int j = 0; j < k; j++) y[j] = (int)(Scale * xy[2 * j + 1] + .5);
        if (k > 0) { x[k] = x[0]; y[k] = y[0]; }

        // Dense points along each edge, one per step of its longer axis, in the edge's direction
        // (an edge is always walked from the end with the smaller major coordinate so the
        // rounding is the same either way round).
        var u = new List<int>();
        var vv = new List<int>();
        for (int j = 0; j < k; j++)
        {
            int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
            int dx = Math.Abs(xe - xs), dy = Math.Abs(ys - ye);
            bool flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
            if (flip) { (xs, xe) = (xe, xs); (ys, ye) = (ye, ys); }
            if (dx == 0 && dy == 0)
            {
                // Zero-length edge: one point; its row never matters because no column changes here.
                u.Add(xs); vv.Add(ys);
                continue;
            }
            double s = dx >= dy ? (double)(ye - ys) / dx : (double)(xe - xs) / dy;
            if (dx >= dy)
                for (int d = 0; d <= dx; d++)
                {
                    int t = flip ? dx - d : d;
                    u.Add(t + xs); vv.Add((int)(ys + s * t + .5));
                }
            else
                for (int d = 0; d <= dy; d++)
                {
                    int t = flip ? dy - d : d;
                    vv.Add(t + ys); u.Add((int)(xs + s * t + .5));
                }
        }

        // Where the outline crosses a pixel-column centre: that column's boundary row.
        var boundary = new List<uint>();
        for (int j = 1; j < u.Count; j++)
        {
            if (u[j] == u[j - 1]) continue;
            double xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
            xd = (xd + .5) / Scale - .5;
            if (Math.Floor(xd) != xd || xd < 0 || xd > width - 1) continue;
            double yd = vv[j] < vv[j - 1] ? vv[j] : vv[j - 1];
            yd = (yd + .5) / Scale - .5;
            if (yd < 0) yd = 0; else if (yd > height) yd = height;
            yd = Math.Ceiling(yd);
            boundary.Add(unchecked((uint)((int)xd * height + (int)yd)));
        }

        // Sorted boundary positions -> run lengths; equal positions cancel (a run of 0 joins its neighbours).
        boundary.Add((uint)height * (uint)width);
        boundary.Sort();
        var a = boundary.ToArray();
        uint previous = 0;
        for (int j = 0; j < a.Length; j++) { uint t = a[j]; a[j] -= previous; previous = t; }
        var counts = new List<uint>(a.Length) { a[0] };
        for (int j = 1; j < a.Length;)
        {
            if (a[j] > 0) counts.Add(a[j++]);
            else
            {
                j++;
                if (j < a.Length) counts[^1] += a[j++];
            }
        }
        return new Rle(height, width, counts.ToArray());
    }

    /// <summary>Rasterizes a box [x, y, width, height] as the polygon of its corners (as the reference does).</summary>
    public static Rle FromBox(double x, double y, double boxWidth, double boxHeight, int height, int width)
    {
        double xe = x + boxWidth, ye = y + boxHeight;
        return FromPolygon([x, y, x, ye, xe, ye, xe, y], height, width);
    }
}
