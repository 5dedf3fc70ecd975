using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Segmenter;

/// <summary>
/// Visual-word grounding: every visual token is a region with a mask, so the answer can point at
/// the regions it means. A region's score is a scaled dot product of a query and a key:
/// <code>
///   query = W_q · [SEG] state + W_e · mean of the question's output states
///   key_r = W_k · LLM output state at word r + W_t · word r's visual token (the projector's output)
///   score_r = ⟨query, key_r⟩ / √d + b
/// </code>
/// The [SEG] state is LISA's prompt; the question's states and the raw tokens give the matching a
/// short path (the question's words against each word's colour, shape and place) that a small LLM
/// trained from scratch finds far sooner than a path through the [SEG] state alone. Trained against
/// each region's overlap with the target mask; the chosen regions' mask becomes the mask decoder's
/// dense prompt.
/// </summary>
public sealed class VisualWordGrounding : nn.Module
{
    readonly Linear query, question, key, token;
    readonly Parameter bias;
    readonly double _scale;

    public VisualWordGrounding(int llmWidth, int dim = 128) : base(nameof(VisualWordGrounding))
    {
        query = nn.Linear(llmWidth, dim);
        question = nn.Linear(llmWidth, dim, hasBias: false);
        key = nn.Linear(llmWidth, dim);
        token = nn.Linear(llmWidth, dim, hasBias: false);
        bias = nn.Parameter(zeros(1));
        _scale = 1.0 / Math.Sqrt(dim);
        RegisterComponents();
    }

    /// <summary>Scores B x N (logits) for one [SEG] per row.</summary>
    public Tensor forward(Tensor seg, GroundingInputs g)
    {
        using var scope = NewDisposeScope();
        var f = ScalarType.Float32;
        var q = (query.forward(seg.to_type(f)) + question.forward(g.Question.to_type(f))).unsqueeze(2);      // B x d x 1
        var k = key.forward(g.WordStates.to_type(f)) + token.forward(g.WordTokens.to_type(f));                 // B x N x d
        return scope.MoveToOuter(k.bmm(q).squeeze(2) * _scale + bias);
    }

    /// <summary>Which regions a row of scores chooses: those above probability 0.5, or the best one when none is.</summary>
    public static IReadOnlyList<int> Choose(ReadOnlySpan<float> scores)
    {
        var chosen = new List<int>();
        int best = 0;
        for (int r = 0; r < scores.Length; r++)
        {
            if (scores[r] > 0) chosen.Add(r);
            if (scores[r] > scores[best]) best = r;
        }
        if (chosen.Count == 0 && scores.Length > 0) chosen.Add(best);
        return chosen;
    }
}

/// <summary>
/// What grounding reads besides the [SEG] state, one row per [SEG]: the LLM's output states at the
/// visual words (B x N x D, zero-padded), the visual tokens themselves (B x N x D) and the mean
/// output state of the question between the image and the answer (B x D).
/// </summary>
public sealed record GroundingInputs(Tensor WordStates, Tensor WordTokens, Tensor Question)
{
    public GroundingInputs Expand(long rows) =>
        new(WordStates.expand(rows, -1, -1), WordTokens.expand(rows, -1, -1), Question.expand(rows, -1));
}
