using VisualWords.Data;
using VisualWords.Segmenter;
using VisualWords.Superpixels;
using static TorchSharp.torch;

namespace VisualWords.Evaluation;

/// <summary>What <c>visualwords eval</c> is asked for (the option values, as given).</summary>
/// <param name="Checkpoints">Trained model folders, scored before the baselines.</param>
/// <param name="MaskFrom">For grounding models: model, decoder, words, or both (decoder and words as two rows).</param>
/// <param name="Baselines">whole, largest, random, a comma-separated list, all, or none.</param>
/// <param name="Superpixels">The superpixel baselines' superpixels: grid:N or slic.</param>
/// <param name="Images">Image folder (default: DATA/images if it exists, else DATA).</param>
/// <param name="Refs">NAME of refs(NAME) when the dataset holds several.</param>
/// <param name="Seed">Seed of the random-superpixel baseline.</param>
public sealed record EvalRequest(string Data, string Split, IReadOnlyList<string> Checkpoints, string MaskFrom = "model", string Baselines = "all",
    string Superpixels = "grid:8", int? Limit = null, string? Images = null, string? Refs = null, bool SkipMissingImages = false, long Seed = 0);

/// <summary>
/// <c>visualwords eval</c>: trained models and the baselines they must beat, scored on the same samples
/// of one split (<see cref="ReferringEvaluator"/>). Two steps, so that a caller can show progress for the
/// scoring alone: <see cref="Open"/> opens the dataset, loads the models and builds the baselines (bad
/// input fails here, before any scoring); <see cref="Evaluate"/> scores. Disposing frees the models.
/// </summary>
public sealed class EvalRun : IDisposable
{
    readonly EvalRequest _request;
    readonly ReferDataset _dataset;
    readonly IReadOnlyList<SegmenterPredictor> _models;

    /// <summary>The rows of the report, in order: every model's, then the baselines'.</summary>
    public IReadOnlyList<IReferringPredictor> Predictors { get; }

    EvalRun(EvalRequest request, ReferDataset dataset, IReadOnlyList<SegmenterPredictor> models, IReadOnlyList<IReferringPredictor> baselines)
    {
        _request = request;
        _dataset = dataset;
        _models = models;
        Predictors = models.Cast<IReferringPredictor>().Concat(baselines).ToList();
    }

    public static EvalRun Open(EvalRequest request, Device? device)
    {
        var dataset = ReferDataset.Open(request.Data, request.Refs, request.Images);
        var models = request.Checkpoints.SelectMany(c => ModelPredictors(c, request.MaskFrom, device)).ToList();
        try
        {
            return new EvalRun(request, dataset, models, Baselines(request.Baselines, ParseSuperpixels(request.Superpixels), request.Seed));
        }
        catch
        {
            foreach (var m in models) m.Dispose();
            throw;
        }
    }

    /// <param name="progress">Called with (done, total) after each expression.</param>
    public EvaluationReport Evaluate(Action<int, int>? progress = null) =>
        ReferringEvaluator.Evaluate(_dataset, _request.Split, Predictors, _request.Limit, _request.SkipMissingImages, progress);

    public void Dispose()
    {
        foreach (var m in _models) m.Dispose();
    }

    /// <summary>One predictor per mask source asked for (a checkpoint without grounding has only its decoder).</summary>
    static IEnumerable<SegmenterPredictor> ModelPredictors(string folder, string maskFrom, Device? device)
    {
        if (maskFrom is not ("model" or "decoder" or "words" or "both"))
            throw new BadInputException($"--mask-from '{maskFrom}': use model, decoder, words or both");
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        if (maskFrom == "model") { yield return new SegmenterPredictor(ReferringSegmenter.Load(folder, device), name); yield break; }
        foreach (var from in maskFrom == "both" ? [MaskSource.Decoder, MaskSource.Words] : new[] { maskFrom == "words" ? MaskSource.Words : MaskSource.Decoder })
        {
            var segmenter = ReferringSegmenter.Load(folder, device);
            if (from == MaskSource.Words && !segmenter.Model.Config.Grounding)
            {
                segmenter.Dispose();
                throw new BadInputException($"--mask-from words: {folder} does not ground its answers in visual words");
            }
            yield return new SegmenterPredictor(new ReferringSegmenter(segmenter.Model) { MaskFrom = from }, $"{name} ({from.ToString().ToLowerInvariant()} mask)");
        }
    }

    static IReadOnlyList<IReferringPredictor> Baselines(string names, ISuperpixelizer superpixels, long seed)
    {
        if (names.Trim() == "none") return [];
        var list = names.Trim() == "all" ? ["whole", "largest", "random"] : names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return list.Distinct().Select<string, IReferringPredictor>(n => n switch
        {
            "whole" => new WholeImageBaseline(),
            "largest" => new LargestSuperpixelBaseline(superpixels),
            "random" => new RandomSuperpixelBaseline(superpixels, seed),
            _ => throw new BadInputException($"--baseline: unknown baseline '{n}' (use whole, largest, random or all)"),
        }).ToList();
    }

    /// <summary>grid:N (an N x N grid) or slic (default settings).</summary>
    static ISuperpixelizer ParseSuperpixels(string text)
    {
        var parts = text.Split(':');
        if (parts is ["grid", var n] && int.TryParse(n, out int cells) && cells >= 1) return new GridSuperpixelizer(cells);
        if (parts is ["slic"]) return new SlicSuperpixelizer();
        throw new BadInputException($"--superpixels '{text}': use grid:N with N >= 1, or slic");
    }
}
