using TorchSharp;
using static TorchSharp.torch;

namespace VisualWords.Language;

/// <summary>How to pick tokens: greedy when <see cref="Temperature"/> is 0, else temperature + nucleus (top-p) sampling.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 64;
    public double Temperature { get; init; }
    /// <summary>Sample only from the smallest set of tokens whose probability reaches this mass.</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>A row ends after emitting any of these (the stop token is kept in its output).</summary>
    public IReadOnlyList<int> StopTokens { get; init; } = [];
    /// <summary>Random seed for sampling; null uses torch's global generator.</summary>
    public long? Seed { get; init; }
    /// <summary>False recomputes the whole sequence every step (slow; for checking the cache).</summary>
    public bool UseKvCache { get; init; } = true;

    public GenerationOptions Validate()
    {
        if (MaxNewTokens < 0) throw new BadInputException($"max new tokens must be >= 0 (got {MaxNewTokens})");
        if (Temperature < 0 || double.IsNaN(Temperature)) throw new BadInputException($"temperature must be >= 0 (got {Temperature})");
        if (TopP is <= 0 or > 1 || double.IsNaN(TopP)) throw new BadInputException($"top-p must be in (0, 1] (got {TopP})");
        return this;
    }
}

/// <summary>Generated tokens per row, and optionally the final hidden state of every token the model read.</summary>
/// <param name="Tokens">New tokens per row (ending with the stop token when one was emitted).</param>
/// <param name="Hidden">When requested: <c>B x (T + steps) x C</c> final-norm hidden states of the prompt and of
/// each generated token that was fed back (the last generated token is not fed unless it is needed).</param>
public sealed record GenerationResult(IReadOnlyList<IReadOnlyList<int>> Tokens, Tensor? Hidden);

/// <summary>Autoregressive decoding over <see cref="LlamaForCausalLM"/> with an optional KV cache.</summary>
public static class Generation
{
    /// <summary>
    /// Continues <paramref name="promptEmbeds"/> (<c>B x T x C</c>; padded rows marked false in
    /// <paramref name="realTokens"/>, left padding recommended so every row ends at the same column).
    /// <paramref name="cache"/>, when given, must hold the tokens before the prompt and is extended.
    /// </summary>
    public static GenerationResult Generate(LlamaForCausalLM model, Tensor promptEmbeds, GenerationOptions options,
        Tensor? realTokens = null, KvCache? cache = null, bool collectHidden = false)
    {
        options.Validate();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        long b = promptEmbeds.shape[0];
        var real = realTokens?.to_type(ScalarType.Bool) ?? ones(b, promptEmbeds.shape[1], dtype: ScalarType.Bool, device: promptEmbeds.device);
        if (!options.UseKvCache && cache is not null)
            throw new BadInputException("generation without KV cache cannot continue a cache");
        bool ownCache = options.UseKvCache && cache is null;
        var kv = options.UseKvCache ? cache ?? new KvCache(model.Config.NumHiddenLayers) : null;
        var rng = options.Seed is long seed ? new Generator((ulong)seed) : null;
        try
        {
            var tokens = Enumerable.Range(0, (int)b).Select(_ => new List<int>()).ToArray();
            var done = new bool[b];
            var hiddenSteps = new List<Tensor>();
            var allEmbeds = promptEmbeds;   // only grows without a cache
            var allReal = real;
            var stepEmbeds = promptEmbeds;
            var stepReal = real;
            for (int step = 0; step < options.MaxNewTokens && !done.All(d => d); step++)
            {
                var hidden = kv is not null ? model.Hidden(stepEmbeds, stepReal, kv) : model.Hidden(allEmbeds, allReal);
                if (collectHidden) hiddenSteps.Add(kv is not null || step == 0 ? hidden : hidden.narrow(1, hidden.shape[1] - 1, 1));
                var logits = model.Logits(hidden.narrow(1, hidden.shape[1] - 1, 1)).squeeze(1).to_type(ScalarType.Float32);
                var next = Pick(logits, options, rng);
                var nextIds = next.data<long>().ToArray();
                for (int r = 0; r < b; r++)
                {
                    if (done[r]) continue;
                    tokens[r].Add((int)nextIds[r]);
                    if (options.StopTokens.Contains((int)nextIds[r]) || tokens[r].Count >= options.MaxNewTokens) done[r] = true;
                }
                // Finished rows keep decoding a padding step (masked out) so the batch stays rectangular.
                bool lastStep = done.All(d => d);
                if (lastStep && !collectHidden) break;
                var nextReal = tensor(done.Select((d, r) => !d || tokens[r].Count == step + 1).ToArray(), dtype: ScalarType.Bool, device: promptEmbeds.device).unsqueeze(1);
                stepEmbeds = model.Embed(next.unsqueeze(1));
                stepReal = nextReal;
                if (kv is null)
                {
                    allEmbeds = cat([allEmbeds, stepEmbeds], 1);
                    allReal = cat([allReal, stepReal], 1);
                }
                if (lastStep)
                {
                    // Feed the final token once more so its hidden state exists (needed for a trailing [SEG]).
                    var h = kv is not null ? model.Hidden(stepEmbeds, stepReal, kv) : model.Hidden(allEmbeds, allReal);
                    hiddenSteps.Add(kv is not null ? h : h.narrow(1, h.shape[1] - 1, 1));
                    break;
                }
            }
            Tensor? all = collectHidden && hiddenSteps.Count > 0 ? scope.MoveToOuter(cat(hiddenSteps, 1)) : null;
            return new GenerationResult(tokens.Select(t => (IReadOnlyList<int>)t).ToArray(), all);
        }
        finally
        {
            if (ownCache) kv!.Dispose();
            rng?.Dispose();
        }
    }

    /// <summary>Next token per row from <c>B x V</c> logits.</summary>
    public static Tensor Pick(Tensor logits, GenerationOptions options, Generator? rng = null)
    {
        using var scope = NewDisposeScope();
        if (options.Temperature == 0) return scope.MoveToOuter(logits.argmax(-1));
        var probs = (logits / options.Temperature).softmax(-1);
        if (options.TopP < 1.0)
        {
            var (sorted, order) = probs.sort(-1, descending: true);
            // Keep a token if the mass before it is still below top-p (so the top token always stays).
            var before = sorted.cumsum(-1) - sorted;
            var kept = sorted.masked_fill(before.ge(options.TopP), 0.0);
            probs = zeros_like(probs).scatter(-1, order, kept);
        }
        return scope.MoveToOuter(probs.multinomial(1, generator: rng).squeeze(-1));
    }
}
