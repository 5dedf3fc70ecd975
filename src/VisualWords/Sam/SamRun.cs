using System.Diagnostics;
using TorchSharp;
using VisualWords.Imaging;

namespace VisualWords.Sam;

/// <summary>
/// <c>visualwords sam</c> as one call: load a SAM checkpoint, encode the image, predict from the point
/// and box prompts, and write the mask with the highest predicted IoU (original size, 0/255) and the
/// optional overlay through the caller's <c>write</c>. The returned report is what <c>--json</c> writes.
/// </summary>
public static class SamRun
{
    /// <param name="Image">The decoded <paramref name="ImagePath"/> (the caller checked the prompts against its size).</param>
    /// <param name="OverlayPath">The image with the mask tinted and the prompt points marked, or null.</param>
    public sealed record Request(SamModelConfig Config, string Checkpoint, string ImagePath, RgbImage Image,
        IReadOnlyList<SamPoint> Points, SamBox? Box, bool Multimask, string MaskPath, string? OverlayPath = null,
        torch.ScalarType EncoderDtype = torch.ScalarType.Float32);

    static readonly (byte R, byte G, byte B) MaskColour = (30, 144, 255);

    /// <param name="write">Writes one output file (path, content): the mask, then the overlay.</param>
    public static SamReport Run(Request request, torch.Device? device, Action<string, Action<Stream>> write, RunFeedback? feedback = null)
    {
        feedback ??= RunFeedback.None;
        if (request.Points.Count == 0 && request.Box is null) throw new BadInputException("give at least one --point or a --box");
        var img = request.Image;
        var clock = Stopwatch.StartNew();
        using var model = feedback.Run("loading checkpoint", () =>
        {
            var m = SamModel.FromCheckpoint(request.Config, request.Checkpoint);
            if (device is not null) m.to(device);
            m.SetEncoderDtype(request.EncoderDtype);
            return m;
        });
        double load = Lap(clock), encoder = 0, decoder = 0;
        using var predictor = new SamPredictor(model);
        using var prediction = feedback.Run($"encoding {img.Width}x{img.Height} image ({request.Config.Name})", () =>
        {
            using var _ = torch.no_grad();
            predictor.SetImage(img);
            encoder = Lap(clock);
            var p = predictor.Predict(request.Points, request.Box, multimaskOutput: request.Multimask);
            decoder = Lap(clock);
            return p;
        });

        var ious = prediction.IouPredictions[0].data<float>().ToArray();
        int best = Array.IndexOf(ious, ious.Max());
        using var mask = prediction.Masks[0][best];
        var maskPixels = ImageTensors.MaskToArray(mask);
        write(request.MaskPath, s => ImageIO.WriteMaskPng(maskPixels, img.Width, img.Height, s));
        if (request.OverlayPath is { } overlayPath)
        {
            var tinted = Overlay.PromptPoints(Overlay.MaskOverlay(img, mask, MaskColour), request.Points.Select(q => (q.X, q.Y, q.Label == 1)));
            write(overlayPath, s => ImageIO.WritePng(tinted, s));
        }
        double written = Lap(clock);

        return new SamReport(request.Config.Name, new SamImageInfo(request.ImagePath, img.Width, img.Height), request.Points,
            request.Box is { } b ? [b.X0, b.Y0, b.X1, b.Y1] : null, request.Multimask, ious, best, mask.sum().item<long>(),
            new SamTimings(load * 1000, encoder * 1000, decoder * 1000, written * 1000), torch.get_num_threads());
    }

    /// <summary>Seconds since the last lap.</summary>
    static double Lap(Stopwatch clock)
    {
        double s = clock.Elapsed.TotalSeconds;
        clock.Restart();
        return s;
    }
}
