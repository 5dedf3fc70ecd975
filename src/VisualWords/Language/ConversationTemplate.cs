namespace VisualWords.Language;

/// <summary>
/// A two-separator chat template (LLaVA's <c>SeparatorStyle.TWO</c>): <c>{system}{sep}USER: {question}{sep}ASSISTANT: {answer}{sep2}</c>;
/// an open turn ends with <c>ASSISTANT:</c> for the model to continue.
/// </summary>
public sealed record ConversationTemplate(string System, string UserRole, string AssistantRole, string Sep, string Sep2)
{
    /// <summary>LLaVA v1 (<c>conv_llava_v1</c>), the template LISA trains and chats with.</summary>
    public static ConversationTemplate LlavaV1 { get; } = new(
        "A chat between a curious human and an artificial intelligence assistant. " +
        "The assistant gives helpful, detailed, and polite answers to the human's questions.",
        "USER", "ASSISTANT", " ", "</s>");

    /// <summary>Everything up to and including <c>ASSISTANT:</c>, where the answer starts.</summary>
    public string Prompt(string question) => $"{System}{Sep}{UserRole}: {question}{Sep}{AssistantRole}:";

    /// <summary>The whole finished conversation as LLaVA's <c>get_prompt()</c> writes it (Sep2 is the EOS token's text).</summary>
    public string Conversation(string question, string answer) => $"{Prompt(question)} {answer}{Sep2}";
}

/// <summary>LISA's referring-segmentation question and answer.</summary>
public static class ReferringConversation
{
    public const string AnswerText = "Sure, it is [SEG].";

    /// <summary>The user turn for one expression: the image placeholder, then the question.</summary>
    /// <param name="imageStartEnd">Wrap the placeholder in &lt;im_start&gt;…&lt;im_end&gt; (LISA's <c>use_mm_start_end</c>).</param>
    public static string Question(string expression, bool imageStartEnd = false)
    {
        if (string.IsNullOrWhiteSpace(expression)) throw new BadInputException("the referring expression is empty");
        var image = imageStartEnd ? SpecialTokens.ImageStart + SpecialTokens.Image + SpecialTokens.ImageEnd : SpecialTokens.Image;
        return $"{image}\nWhat is {expression.Trim()} in this image? Please output segmentation mask.";
    }
}
