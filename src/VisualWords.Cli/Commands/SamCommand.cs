using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using VisualWords.Imaging;
using VisualWords.Runtime;
using VisualWords.Sam;

namespace VisualWords.Cli.Commands;

/// <summary><c>visualwords sam</c>: one SAM prediction from point/box prompts on one image.</summary>
public static class SamCommand
{
    public static Command Create()
    {
        var modelType = new Option<string>("--model-type")
        {
            Description = $"SAM model type: {string.Join(", ", SamModelConfig.Registry.Keys)}.",
            DefaultValueFactory = _ => "vit_b",
        };
        var checkpoint = new Option<string>("--checkpoint")
        {
            Description = "Checkpoint with the official keys (sam_vit_b_01ec64.pth, mobile_sam.pt, or a .safetensors).",
            Required = true,
        };
        var image = new Option<string>("--image") { Description = "Input image (JPEG, PNG, WebP, BMP).", Required = true };
        var points = new Option<string[]>("--point")
        {
            Description = "A click X,Y[,LABEL] in original image pixels; LABEL 1 = foreground (default), 0 = background. Repeatable.",
            AllowMultipleArgumentsPerToken = false,
        };
        var box = new Option<string?>("--box") { Description = "A box X0,Y0,X1,Y1 in original image pixels." };
        var multimask = new Option<bool>("--multimask")
        {
            Description = "Predict three candidate masks and write the one with the highest predicted IoU (all three IoUs go to --json).",
        };
        var output = new Option<string>("--out") { Description = "Mask PNG to write (original image size, 0/255).", Required = true };
        var overlay = new Option<string?>("--overlay") { Description = "Also write the image with the mask tinted and outlined over it and the prompt points marked (green foreground, red background) (PNG)." };
        var json = new Option<string?>("--json") { Description = "Also write predicted IoUs, prompts and timings_ms as JSON ('-' = stdout)." };

        var cmd = new Command("sam", "Segment an object with SAM from point and/or box prompts.");
        var samDtype = SamDtypeOption.Create();
        foreach (var o in new Option[] { modelType, checkpoint, image, points, box, multimask, output, overlay, json, samDtype })
            cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var device = GlobalOptions.Apply(r);
            NativeHeap.KeepFreedMemory();  // the encoder's large temporaries are reused, not re-mapped
            var config = SamModelConfig.Get(r.GetValue(modelType)!);
            using var outputs = new OutputFiles().Input(r.GetValue(image)).Input(r.GetValue(checkpoint))
                .File("--out", r.GetValue(output)).File("--overlay", r.GetValue(overlay)).File("--json", r.GetValue(json), allowStdout: true);
            var say = Term.Results(outputs);
            var img = ImageIO.Load(r.GetValue(image)!);
            var prompts = (r.GetValue(points) ?? []).Select(p => ParsePoint(p, img)).ToList();
            SamBox? boxPrompt = r.GetValue(box) is { } b ? ParseBox(b, img) : null;
            bool multi = r.GetValue(multimask);

            var request = new SamRun.Request(config, r.GetValue(checkpoint)!, r.GetValue(image)!, img, prompts, boxPrompt, multi,
                r.GetValue(output)!, r.GetValue(overlay), SamDtypeOption.Parse(r.GetValue(samDtype)));
            var report = SamRun.Run(request, device, outputs.Write, Term.Feedback);
            if (r.GetValue(json) is { } jp) outputs.WriteText(jp, report.ToJson());
            outputs.Commit();
            var ious = report.IouPredictions;
            say.MarkupLine($"mask {Markup.Escape(r.GetValue(output)!)}: IoU {ious[report.BestIndex]:F3}" +
                (multi ? $" (best of {ious.Length})" : "") + $"; encoder {report.TimingsMs.Encoder / 1000:F2} s, decoder {report.TimingsMs.Decoder / 1000:F3} s");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static double[] ParseNumbers(string text, string what, int min, int max)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length < min || parts.Length > max)
            throw new BadInputException($"{what} '{text}': expected {(min == max ? $"{min}" : $"{min} or {max}")} comma-separated numbers");
        return parts.Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v : throw new BadInputException($"{what} '{text}': '{s}' is not a number")).ToArray();
    }

    static void CheckInside(double x, double y, RgbImage img, string what)
    {
        if (x < 0 || y < 0 || x > img.Width || y > img.Height)
            throw new BadInputException($"{what}: ({x}, {y}) lies outside the {img.Width}x{img.Height} image");
    }

    static SamPoint ParsePoint(string text, RgbImage img)
    {
        var v = ParseNumbers(text, "--point", 2, 3);
        int label = v.Length == 3 ? (int)v[2] : 1;
        if (v.Length == 3 && v[2] is not (0 or 1)) throw new BadInputException($"--point '{text}': label must be 1 (foreground) or 0 (background)");
        CheckInside(v[0], v[1], img, $"--point '{text}'");
        return new SamPoint(v[0], v[1], label);
    }

    static SamBox ParseBox(string text, RgbImage img)
    {
        var v = ParseNumbers(text, "--box", 4, 4);
        if (v[2] <= v[0] || v[3] <= v[1]) throw new BadInputException($"--box '{text}': need X0 < X1 and Y0 < Y1");
        CheckInside(v[0], v[1], img, $"--box '{text}'");
        CheckInside(v[2], v[3], img, $"--box '{text}'");
        return new SamBox(v[0], v[1], v[2], v[3]);
    }
}
