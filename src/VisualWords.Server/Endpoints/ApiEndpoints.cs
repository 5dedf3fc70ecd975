using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using VisualWords.Server.Http;
using VisualWords.Server.Inference;

namespace VisualWords.Server.Endpoints;

/// <summary>POST /api/images, POST /api/segment, GET /api/images/{id}/words[?chosen=REGION:SCORE,...].</summary>
public static class ApiEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapPost("/api/images", Upload);
        app.MapPost("/api/segment", Segment);
        app.MapGet("/api/images/{id}/words", Words);
    }

    static async Task<IResult> Upload(HttpRequest request, SegmentationService service, ServerOptions options, CancellationToken cancel)
    {
        var form = await UploadReader.ReadForm(request, options.MaxUploadBytes, cancel);
        var bytes = await UploadReader.ReadFile(form, "image", options.MaxUploadBytes, cancel)
            ?? throw ApiProblemException.BadRequest("the form has no file; send the image as the field \"image\"");
        return Results.Ok(await service.Upload(bytes, cancel));
    }

    static async Task<IResult> Segment(HttpRequest request, SegmentationService service, ServerOptions options, IOptions<JsonOptions> json, CancellationToken cancel)
    {
        var parsed = await SegmentRequest.Read(request, options, json.Value.SerializerOptions, cancel);
        return Results.Ok(await service.Segment(parsed, cancel));
    }

    static async Task<IResult> Words(string id, string? chosen, SegmentationService service, CancellationToken cancel) =>
        Results.File(await service.WordsPng(id, ChosenWordsQuery.Parse(chosen), cancel), "image/png");
}
