using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace VisualWords.Evaluation;

/// <summary>
/// One predictor's scores on a split. Latency: mean and p95 per expression, and the mean of an
/// image's first expression (which pays for encoding the image) apart from the others (served from
/// the predictor's per-image cache, where it has one); null where a split has no such expression.
/// </summary>
public sealed record EvaluationRow(
    string Predictor,
    int Expressions,
    int Images,
    double CIoU,
    double GIoU,
    IReadOnlyDictionary<string, double> PrecisionAt,
    double? VisualTokensMean,
    double? VisualTokensP95,
    double LatencyMeanMs,
    double LatencyP95Ms,
    double? LatencyFirstMs = null,
    double? LatencyCachedMs = null,
    IReadOnlyDictionary<string, KindScores>? ByKind = null);

/// <summary>A predictor's scores on the expressions of one kind (where the dataset names kinds, as ShapesWorld does).</summary>
public sealed record KindScores(int Expressions, double CIoU, double GIoU, double PrecisionAt05);

/// <summary>
/// The result of evaluating predictors (a model and the baselines it must beat) on one split: a
/// table on the console, JSON for machines, Markdown for docs.
/// </summary>
public sealed record EvaluationReport(
    string Dataset,
    string Split,
    int Expressions,
    int SkippedMissingImages,
    IReadOnlyList<EvaluationRow> Rows)
{
    static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static EvaluationReport FromJson(string json) =>
        JsonSerializer.Deserialize<EvaluationReport>(json, JsonOptions) ?? throw new BadInputException("empty report JSON");

    // Short headers so the table fits an 80-column terminal; the caption explains them.
    static readonly string[] Header = ["predictor", "cIoU", "gIoU", .. SegmentationMetrics.Thresholds.Select(t => "P@" + Key(t)[1..]),
        "tok/img", "tok p95", "ms/expr", "ms p95", "ms first", "ms cached"];

    IEnumerable<string[]> Cells() => Rows.Select(r => (string[])
    [
        r.Predictor, Pct(r.CIoU), Pct(r.GIoU), .. SegmentationMetrics.Thresholds.Select(t => Pct(r.PrecisionAt[Key(t)])),
        Num(r.VisualTokensMean, "F1"), Num(r.VisualTokensP95, "F0"), Num(r.LatencyMeanMs, "F2"), Num(r.LatencyP95Ms, "F2"),
        Num(r.LatencyFirstMs, "F2"), Num(r.LatencyCachedMs, "F2"),
    ]);

    public static string Key(double threshold) => threshold.ToString("0.0", CultureInfo.InvariantCulture);

    static string Pct(double v) => double.IsNaN(v) ? "-" : (100 * v).ToString("F2", CultureInfo.InvariantCulture);
    static string Num(double? v, string format) => v is double d && !double.IsNaN(d) ? d.ToString(format, CultureInfo.InvariantCulture) : "-";

    string Caption => $"{Dataset}, split {Split}: {Expressions} expressions" +
                      (SkippedMissingImages > 0 ? $" ({SkippedMissingImages} skipped: image file missing)" : "") +
                      ". cIoU, gIoU and precision at IoU thresholds in %; visual tokens per image (mean, p95); latency per expression in ms (mean, p95; an image's first expression, and the others).";

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine(Caption).AppendLine();
        sb.AppendLine("| " + string.Join(" | ", Header) + " |");
        sb.AppendLine("|" + string.Concat(Header.Select((_, i) => i == 0 ? "---|" : "---:|")));
        foreach (var row in Cells()) sb.AppendLine("| " + string.Join(" | ", row.Select(c => c.Replace("|", "\\|"))) + " |");
        if (Rows.Any(r => r.ByKind is { Count: > 0 }))
        {
            sb.AppendLine().AppendLine("By expression kind (%):").AppendLine();
            sb.AppendLine("| predictor | kind | expressions | cIoU | gIoU | P@0.5 |");
            sb.AppendLine("|---|---|---:|---:|---:|---:|");
            foreach (var r in Rows.Where(r => r.ByKind is not null))
                foreach (var (kind, k) in r.ByKind!)
                    sb.AppendLine($"| {r.Predictor.Replace("|", "\\|")} | {kind} | {k.Expressions} | {Pct(k.CIoU)} | {Pct(k.GIoU)} | {Pct(k.PrecisionAt05)} |");
        }
        return sb.ToString();
    }

    /// <summary>Metrics as rows, predictors as columns: fits a terminal for a model and three baselines.</summary>
    public Table ToTable()
    {
        var table = new Table().Caption(Markup.Escape(Caption)).AddColumn("metric");
        var cells = Cells().ToList();
        foreach (var row in cells) table.AddColumn(new TableColumn(Markup.Escape(row[0])).RightAligned());
        for (int m = 1; m < Header.Length; m++)
            table.AddRow([Header[m], .. cells.Select(row => Markup.Escape(row[m]))]);
        return table;
    }

    /// <summary>gIoU per expression kind, kinds as rows, predictors as columns (null when the dataset names no kinds).</summary>
    public Table? ToKindTable()
    {
        var kinds = Rows.Where(r => r.ByKind is not null).SelectMany(r => r.ByKind!.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        if (kinds.Count == 0) return null;
        var table = new Table().Caption("gIoU (%) by expression kind (expressions)").AddColumn("kind");
        foreach (var r in Rows) table.AddColumn(new TableColumn(Markup.Escape(r.Predictor)).RightAligned());
        foreach (var kind in kinds)
            table.AddRow([Markup.Escape(kind), .. Rows.Select(r => r.ByKind is { } b && b.TryGetValue(kind, out var k)
                ? $"{Pct(k.GIoU)} ({k.Expressions})" : "-")]);
        return table;
    }

    public void Print(IAnsiConsole? console = null)
    {
        var c = console ?? AnsiConsole.Console;
        c.Write(ToTable());
        if (ToKindTable() is { } kinds) c.Write(kinds);
    }

    /// <summary>Writes the JSON and, beside it or where given, the Markdown (each atomically).</summary>
    public void Save(string jsonPath, string? markdownPath = null)
    {
        WriteAtomically(jsonPath, ToJson());
        WriteAtomically(markdownPath ?? Path.ChangeExtension(jsonPath, ".md"), ToMarkdown());
    }

    static void WriteAtomically(string path, string text)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}
