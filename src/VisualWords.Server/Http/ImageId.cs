using System.Security.Cryptography;

namespace VisualWords.Server.Http;

/// <summary>An image's id: the SHA-256 of its file bytes, lowercase hex (the same upload gets the same id).</summary>
public static class ImageId
{
    public static string Of(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>True when <paramref name="id"/> has the form of an id (64 lowercase hex digits).</summary>
    public static bool IsWellFormed(string id) => id.Length == 64 && id.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
