namespace VisualWords.Server.Http;

/// <summary>A request the server refuses with an RFC 7807 problem: status, short title, the detail for the user.</summary>
public sealed class ApiProblemException(int status, string title, string detail, int? retryAfterSeconds = null) : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    /// <summary>For 429 and 503: seconds for the Retry-After header.</summary>
    public int? RetryAfterSeconds { get; } = retryAfterSeconds;

    public static ApiProblemException BadRequest(string detail) => new(400, "Bad request", detail);
    public static ApiProblemException NotFound(string detail) => new(404, "Not found", detail);
    public static ApiProblemException TooLarge(string detail) => new(413, "Payload too large", detail);
    public static ApiProblemException UnsupportedMediaType(string detail) => new(415, "Unsupported media type", detail);
}
