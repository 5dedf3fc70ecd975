using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisualWords.Segmenter;

/// <summary>
/// LISA's <c>text_hidden_fcs</c>: the [SEG] hidden state (LLM width) → Linear → ReLU → Linear →
/// SAM prompt width. Laid out as LISA does (a ModuleList holding one Sequential with a trailing
/// Dropout), so the keys read <c>text_hidden_fcs.0.0.weight</c> and <c>text_hidden_fcs.0.2.weight</c>.
/// </summary>
public static class TextHiddenFcs
{
    public static ModuleList<Sequential> Create(int llmWidth, int promptWidth, double dropout = 0.0) =>
        nn.ModuleList(nn.Sequential(
            ("0", nn.Linear(llmWidth, llmWidth)), ("1", nn.ReLU()), ("2", nn.Linear(llmWidth, promptWidth)), ("3", nn.Dropout(dropout))));
}
