using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace VisualWords.Server.Http;

/// <summary>Reads multipart forms within the upload limit; the file stays in memory, never on disk.</summary>
public static class UploadReader
{
    public static bool IsMultipart(HttpRequest request) =>
        request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>The form, refusing bodies over <paramref name="maxBytes"/> (413) before and while reading.</summary>
    public static async Task<IFormCollection> ReadForm(HttpRequest request, long maxBytes, CancellationToken cancel)
    {
        if (!IsMultipart(request))
            throw ApiProblemException.UnsupportedMediaType($"expected multipart/form-data, got {request.ContentType ?? "no content type"}");
        CheckLength(request, maxBytes);
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = maxBytes + FramingAllowance;
        // In-memory buffering up to the limit: uploads never touch the file system.
        request.HttpContext.Features.Set<IFormFeature>(new FormFeature(request, new FormOptions
        {
            MultipartBodyLengthLimit = maxBytes,
            MemoryBufferThreshold = (int)Math.Min(int.MaxValue, maxBytes + FramingAllowance),
            BufferBodyLengthLimit = maxBytes + FramingAllowance,
        }));
        return await request.ReadFormAsync(cancel);
    }

    /// <summary>The bytes of the form's file named <paramref name="field"/> (or its only file), or null when it has none.</summary>
    public static async Task<byte[]?> ReadFile(IFormCollection form, string field, long maxBytes, CancellationToken cancel)
    {
        var file = form.Files.GetFile(field) ?? (form.Files.Count == 1 ? form.Files[0] : null);
        if (file == null) return null;
        if (file.Length > maxBytes) throw TooLarge(maxBytes);
        if (file.Length == 0) throw ApiProblemException.BadRequest($"the uploaded file '{file.FileName}' is empty");
        using var ms = new MemoryStream((int)file.Length);
        await file.CopyToAsync(ms, cancel);
        return ms.ToArray();
    }

    /// <summary>413 from the Content-Length header alone, before any byte is read.</summary>
    public static void CheckLength(HttpRequest request, long maxBytes)
    {
        if (request.ContentLength > maxBytes + FramingAllowance) throw TooLarge(maxBytes);
    }

    static ApiProblemException TooLarge(long maxBytes) =>
        ApiProblemException.TooLarge($"the upload is larger than the limit of {maxBytes / (1024.0 * 1024.0):0.#} MiB");

    // Multipart boundaries, headers and small fields around the file.
    const long FramingAllowance = 64 * 1024;
}
