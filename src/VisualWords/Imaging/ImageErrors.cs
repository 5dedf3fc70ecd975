namespace VisualWords.Imaging;

/// <summary>The bytes are no image format we decode (the server answers 415).</summary>
public sealed class UnsupportedImageException(string message) : BadInputException(message);

/// <summary>The image has more pixels than allowed, known from its header (the server answers 413).</summary>
public sealed class ImageTooLargeException(string message) : BadInputException(message);
