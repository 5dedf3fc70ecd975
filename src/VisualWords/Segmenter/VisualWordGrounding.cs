using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Segmenter;

/// <summary>
/// Visual-word grounding: every visual token is a region with a mask, so the [SEG] state can point
/// at the regions it means. A region's score is the scaled dot product of the projected [SEG] state
/// with the projected LLM output state at that region's visual token:
/// <c>score_r = ⟨W_q s, W_k v_r⟩ / √d + b</c>. Trained against each region's overlap with the target
/// mask; the chosen regions' mask becomes the mask decoder's dense prompt.
/// </summary>
public sealed class VisualWordGrounding : nn.Module
{
    readonly Linear query, key;
    readonly Parameter bias;
    readonly double _scale;

    public VisualWordGrounding(int llmWidth, int dim = 128) : base(nameof(VisualWordGrounding))
    {
        query = nn.Linear(llmWidth, dim);
        key = nn.Linear(llmWidth, dim);
        bias = nn.Parameter(zeros(1));
        _scale = 1.0 / Math.Sqrt(dim);
        RegisterComponents();
    }

    /// <summary>seg: B x D, words: B x N x D (LLM output states at the visual tokens) → scores B x N (logits).</summary>
    public Tensor forward(Tensor seg, Tensor words)
    {
        using var scope = NewDisposeScope();
        var q = query.forward(seg.to_type(ScalarType.Float32)).unsqueeze(2);      // B x d x 1
        var k = key.forward(words.to_type(ScalarType.Float32));                    // B x N x d
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
