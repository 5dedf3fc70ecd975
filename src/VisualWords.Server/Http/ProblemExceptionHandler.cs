using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using VisualWords.Imaging;

namespace VisualWords.Server.Http;

/// <summary>
/// Turns every exception into an RFC 7807 problem: what the user got wrong is said in its detail;
/// anything else is a 500 whose detail names no internals (the log has the exception).
/// </summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail, retryAfter) = Classify(exception);
        if (status == 500) log.LogError(exception, "unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
        context.Response.StatusCode = status;
        if (retryAfter is int seconds) context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    /// <summary>Status, title, detail and Retry-After for an exception.</summary>
    public static (int Status, string Title, string Detail, int? RetryAfter) Classify(Exception e) => e switch
    {
        ApiProblemException p => (p.Status, p.Title, p.Message, p.RetryAfterSeconds),
        UnsupportedImageException => (415, "Unsupported media type", e.Message, null),
        ImageTooLargeException => (413, "Payload too large", e.Message, null),
        BadInputException => (400, "Bad request", e.Message, null),
        // Kestrel's request-body limit, and a malformed request line/body.
        BadHttpRequestException b when b.StatusCode == 413 => (413, "Payload too large", "the request body is larger than the upload limit", null),
        BadHttpRequestException b => (b.StatusCode, "Bad request", b.Message, null),
        // The multipart reader's limits and malformed multipart bodies.
        InvalidDataException d when d.Message.Contains("limit", StringComparison.OrdinalIgnoreCase) => (413, "Payload too large", "the upload is larger than the limit", null),
        InvalidDataException d => (400, "Bad request", $"malformed multipart body: {d.Message}", null),
        System.Text.Json.JsonException => (400, "Bad request", "the request body is not valid JSON", null),
        // The client went away while its request waited or ran; nobody reads this answer.
        OperationCanceledException => (499, "Client closed request", "the client closed the request", null),
        _ => (500, "Internal server error", "the server failed to process the request; the server log has the details", null),
    };
}
