using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace VisualWords.Server.Http;

/// <summary>
/// What POST /api/segment asks for: an image (an id from POST /api/images, or the bytes in the
/// same multipart request) and one or more expressions, checked against the server's limits.
/// </summary>
public sealed record SegmentRequest(string? ImageId, byte[]? ImageBytes, IReadOnlyList<string> Expressions)
{
    /// <summary>The JSON body: {"image_id": "...", "expressions": ["..."]} (a single "expression" works too).</summary>
    sealed record JsonBody(string? ImageId, string[]? Expressions, string? Expression);

    public static async Task<SegmentRequest> Read(HttpRequest request, ServerOptions options, JsonSerializerOptions json, CancellationToken cancel)
    {
        SegmentRequest parsed;
        if (UploadReader.IsMultipart(request))
        {
            var form = await UploadReader.ReadForm(request, options.MaxUploadBytes, cancel);
            var bytes = await UploadReader.ReadFile(form, "image", options.MaxUploadBytes, cancel);
            var expressions = form["expressions"].Concat(form["expression"]).Select(e => e ?? "").ToArray();
            parsed = new SegmentRequest(NullIfEmpty(form["image_id"]), bytes, expressions);
        }
        else if (request.HasJsonContentType())
        {
            UploadReader.CheckLength(request, options.MaxUploadBytes);
            var body = await request.ReadFromJsonAsync<JsonBody>(json, cancel)
                ?? throw ApiProblemException.BadRequest("the JSON body is null");
            var expressions = (body.Expressions ?? []).Concat(body.Expression is null ? [] : [body.Expression]).ToArray();
            parsed = new SegmentRequest(body.ImageId, null, expressions);
        }
        else
        {
            throw ApiProblemException.UnsupportedMediaType(
                $"send application/json ({{\"image_id\": ..., \"expressions\": [...]}}) or multipart/form-data (image, expression), not {request.ContentType ?? "no content type"}");
        }
        parsed.Validate(options);
        return parsed;
    }

    void Validate(ServerOptions options)
    {
        if (ImageId is null && ImageBytes is null)
            throw ApiProblemException.BadRequest("name an image: \"image_id\" from POST /api/images, or an \"image\" file in the form");
        if (Expressions.Count == 0) throw ApiProblemException.BadRequest("give at least one expression");
        if (Expressions.Count > options.MaxExpressionsPerRequest)
            throw ApiProblemException.BadRequest($"{Expressions.Count} expressions; at most {options.MaxExpressionsPerRequest} per request");
        for (int i = 0; i < Expressions.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(Expressions[i])) throw ApiProblemException.BadRequest($"expression {i + 1} is empty");
            if (Expressions[i].Length > options.MaxExpressionLength)
                throw ApiProblemException.BadRequest($"expression {i + 1} has {Expressions[i].Length} characters; at most {options.MaxExpressionLength}");
        }
    }

    static string? NullIfEmpty(Microsoft.Extensions.Primitives.StringValues v) => string.IsNullOrWhiteSpace(v) ? null : v.ToString();
}
