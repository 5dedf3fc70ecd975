namespace VisualWords.Superpixels;

/// <summary>
/// Merges regions of a label map into neighbours: each merge moves the smallest region (ties: the
/// smaller id) into the 4-neighbour with which it shares the longest border (ties: the smaller id).
/// Used for the minimum region area and the region cap of the semantic partition and for SLIC's
/// clean-up, so all three follow one rule.
/// </summary>
public static class RegionMerger
{
    /// <summary>
    /// Merges in place until every region has at least <paramref name="minArea"/> pixels and there
    /// are at most <paramref name="maxRegions"/> regions (a region with no neighbour — the whole
    /// image — is left alone). Labels are arbitrary non-negative ints; merged labels take the
    /// absorbing region's id.
    /// </summary>
    public static void Merge(int[] labels, int height, int width, long minArea, int? maxRegions)
    {
        if (maxRegions is < 1) throw new BadInputException($"max_regions must be at least 1 (got {maxRegions})");
        var area = new Dictionary<int, long>();
        foreach (int l in labels) area[l] = area.GetValueOrDefault(l) + 1;
        var border = SharedBorders(labels, height, width);
        var queue = new SortedSet<(long Area, int Id)>(area.Select(kv => (kv.Value, kv.Key)));
        var into = new Dictionary<int, int>();

        while (queue.Count > 1)
        {
            var (a, id) = queue.Min;
            bool tooSmall = a < minArea;
            bool tooMany = maxRegions is int cap && queue.Count > cap;
            if (!tooSmall && !tooMany) break;
            queue.Remove((a, id));
            var nbrs = border[id];
            if (nbrs.Count == 0) continue;   // isolated (cannot happen in a connected image grid unless alone)
            int target = nbrs.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).First().Key;

            queue.Remove((area[target], target));
            area[target] += a;
            area.Remove(id);
            queue.Add((area[target], target));
            into[id] = target;
            foreach (var (n, len) in nbrs)
            {
                var nb = border[n];
                nb.Remove(id);
                if (n == target) continue;
                nb[target] = nb.GetValueOrDefault(target) + len;
                border[target][n] = border[target].GetValueOrDefault(n) + len;
            }
            border[target].Remove(id);
            border.Remove(id);
        }

        if (into.Count == 0) return;
        var cache = new Dictionary<int, int>();
        for (int p = 0; p < labels.Length; p++)
        {
            int l = labels[p];
            if (!into.ContainsKey(l)) continue;
            if (!cache.TryGetValue(l, out int root))
            {
                root = l;
                while (into.TryGetValue(root, out int next)) root = next;
                cache[l] = root;
            }
            labels[p] = root;
        }
    }

    /// <summary>Number of 4-neighbour pixel pairs between every two adjacent labels.</summary>
    public static Dictionary<int, Dictionary<int, long>> SharedBorders(int[] labels, int height, int width)
    {
        var border = new Dictionary<int, Dictionary<int, long>>();
        foreach (int l in labels) if (!border.ContainsKey(l)) border[l] = new();
        void Add(int a, int b)
        {
            var da = border[a]; da[b] = da.GetValueOrDefault(b) + 1;
            var db = border[b]; db[a] = db.GetValueOrDefault(a) + 1;
        }
        for (int y = 0, p = 0; y < height; y++)
            for (int x = 0; x < width; x++, p++)
            {
                int l = labels[p];
                if (x + 1 < width && labels[p + 1] != l) Add(l, labels[p + 1]);
                if (y + 1 < height && labels[p + width] != l) Add(l, labels[p + width]);
            }
        return border;
    }
}
