namespace VisualWords;

/// <summary>
/// How a long library run (<c>segment</c>, <c>sam</c>, ...) talks to the person waiting on it without
/// knowing about consoles: <see cref="Stage"/> runs one slow step under a status line (the CLI shows
/// a spinner), <see cref="Note"/> is a side remark, <see cref="Warning"/> a line the user should read.
/// Any member may be null: the step then just runs, and the lines go nowhere.
/// </summary>
public sealed record RunFeedback(Action<string, Action>? Stage = null, Action<string>? Note = null, Action<string>? Warning = null)
{
    /// <summary>Silent: every step just runs (tests, the server).</summary>
    public static readonly RunFeedback None = new();

    /// <summary>Runs <paramref name="work"/> as the step called <paramref name="status"/>.</summary>
    public T Run<T>(string status, Func<T> work)
    {
        if (Stage is null) return work();
        T result = default!;
        Stage(status, () => result = work());
        return result;
    }
}
