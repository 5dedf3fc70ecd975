namespace VisualWords;

/// <summary>
/// The user gave us something we cannot use (a corrupt file, an empty expression, a missing key).
/// The CLI maps it to exit code 2 and prints only the message; everything else is exit code 1.
/// </summary>
public class BadInputException : Exception
{
    public BadInputException(string message) : base(message) { }
    public BadInputException(string message, Exception inner) : base(message, inner) { }
}
