using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Segmenter;

/// <summary>
/// Visual-word grounding: every visual token is a region with a mask, so the answer can point at
/// the regions it means. Each word's key reads the question first, then meets the query:
/// <code>
///   key_r   = W_k · LLM output state at word r + W_t · word r's visual token (the projector's output)
///             + W_g · word r's geometry descriptor (box, centroid, area, 8×8 shape, colour; SSPE's input)
///   key_r  += attention(key_r → the question's output states)       the word reads the expression
///   query   = W_q · [SEG] state + W_e · mean of the question's output states
///   score_r = ⟨query, key_r⟩ / √d + w · GELU(key_r) + b
/// </code>
/// The [SEG] state is LISA's prompt. The attention from each word to the question gives the matching
/// a one-step path (a word compares its own colour, shape and place with the expression's words)
/// that a small LLM trained from scratch does not find through the [SEG] state alone within a CPU
/// budget (measured: chance-level picks after 10k samples without it). Trained against each
/// region's overlap with the target mask; the chosen regions' mask becomes the mask decoder's
/// dense prompt.
/// </summary>
public sealed class VisualWordGrounding : nn.Module
{
    readonly Linear query, question, key, token, read_q, read_k, read_v, readout;
    readonly Sequential? descriptor;
    readonly Parameter bias;
    readonly double _scale;

    /// <param name="descriptorWidth">Width of the words' geometry descriptors (0: the projector gives none).</param>
    public VisualWordGrounding(int llmWidth, int descriptorWidth, int dim = 128) : base(nameof(VisualWordGrounding))
    {
        if (descriptorWidth > 0)
            descriptor = nn.Sequential(("0", nn.Linear(descriptorWidth, dim)), ("1", nn.GELU()), ("2", nn.Linear(dim, dim)));
        query = nn.Linear(llmWidth, dim);
        question = nn.Linear(llmWidth, dim, hasBias: false);
        key = nn.Linear(llmWidth, dim);
        token = nn.Linear(llmWidth, dim, hasBias: false);
        read_q = nn.Linear(dim, dim, hasBias: false);
        read_k = nn.Linear(llmWidth, dim, hasBias: false);
        read_v = nn.Linear(llmWidth, dim, hasBias: false);
        readout = nn.Linear(dim, 1, hasBias: false);
        bias = nn.Parameter(zeros(1));
        _scale = 1.0 / Math.Sqrt(dim);
        RegisterComponents();
    }

    /// <summary>Scores B x N (logits) for one [SEG] per row.</summary>
    public Tensor forward(Tensor seg, GroundingInputs g)
    {
        using var scope = NewDisposeScope();
        var f = ScalarType.Float32;
        var questionStates = g.Question.to_type(f);                                                   // B x Q x D
        var valid = g.QuestionMask.unsqueeze(1);                                                       // B x 1 x Q
        var k = key.forward(g.WordStates.to_type(f)) + token.forward(g.WordTokens.to_type(f));         // B x N x d
        if (descriptor is not null)
            k = k + descriptor.forward(g.WordDescriptors?.to_type(f) ?? throw new ArgumentException("this grounding head reads the words' geometry descriptors"));
        var attn = read_q.forward(k).bmm(read_k.forward(questionStates).transpose(1, 2)) * _scale;     // B x N x Q
        attn = attn.masked_fill(valid.logical_not(), float.NegativeInfinity).softmax(-1);
        k = k + attn.bmm(read_v.forward(questionStates));
        var mean = (questionStates * g.QuestionMask.unsqueeze(2)).sum(1) / g.QuestionMask.sum(1, keepdim: true).clamp_min(1);
        var q = (query.forward(seg.to_type(f)) + question.forward(mean)).unsqueeze(2);                // B x d x 1
        var scores = k.bmm(q).squeeze(2) * _scale + readout.forward(nn.functional.gelu(k)).squeeze(2) + bias;
        return scope.MoveToOuter(scores);
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
/// visual words (B x N x D, zero-padded), the visual tokens themselves (B x N x D), and the output
/// states of the question between the image and the answer (B x Q x D, zero-padded; QuestionMask
/// B x Q float marks the real positions), and the words' geometry descriptors (B x N x G) when the projector gives them.
/// </summary>
public sealed record GroundingInputs(Tensor WordStates, Tensor WordTokens, Tensor Question, Tensor QuestionMask, Tensor? WordDescriptors)
{
    public GroundingInputs Expand(long rows) =>
        new(WordStates.expand(rows, -1, -1), WordTokens.expand(rows, -1, -1), Question.expand(rows, -1, -1), QuestionMask.expand(rows, -1),
            WordDescriptors?.expand(rows, -1, -1));
}
