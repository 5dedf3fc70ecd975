namespace VisualWords.Training;

/// <summary>How a SAM training prompt is given: which decoder output(s) it trains.</summary>
public enum SamPromptKind
{
    /// <summary>One positive point: ambiguous, so the three multimask outputs train (minimum loss).</summary>
    Point,
    /// <summary>A jittered box around the mask: the single output trains.</summary>
    Box,
    /// <summary>Several positive points, maybe a negative one: the single output trains.</summary>
    Points,
}

/// <summary>
/// The prompt mix of SAM training (the <c>data.prompts</c> config section). Every prompt of one
/// image has the same kind and point count, so an image's prompts go through the decoder together.
/// </summary>
public sealed record SamPromptOptions
{
    /// <summary>Prompts (objects, drawn with replacement) per image.</summary>
    public int PerImage { get; init; } = 4;

    /// <summary>Chance that an image's prompts are single points (the rest after <see cref="Box"/> are multi-point).</summary>
    public double Point { get; init; } = 0.5;

    /// <summary>Chance that an image's prompts are boxes.</summary>
    public double Box { get; init; } = 0.25;

    /// <summary>
    /// Chance that a single-point prompt lands on the background and asks for the background mask
    /// (every pixel no object covers): everything mode puts grid points there too, and the IoU head
    /// must learn what it gets for them.
    /// </summary>
    public double Background { get; init; } = 0.1;

    /// <summary>Chance that a multi-point prompt also has a negative point outside the mask.</summary>
    public double Negative { get; init; } = 0.5;

    /// <summary>Most positive points of a multi-point prompt.</summary>
    public int MaxPositive { get; init; } = 3;

    /// <summary>Box corner noise: standard deviation as a fraction of the box side (SAM: 10%).</summary>
    public double BoxNoise { get; init; } = 0.1;

    /// <summary>Box corner noise cap as a fraction of the model input side (SAM: 20 px of 1024).</summary>
    public double BoxNoiseMax { get; init; } = 20.0 / 1024;

    public void Validate()
    {
        static void Check(bool ok, string msg)
        {
            if (!ok) throw new BadInputException($"config: data.prompts.{msg}");
        }
        Check(PerImage >= 1, "per_image must be >= 1");
        Check(Point is >= 0 and <= 1 && Box is >= 0 and <= 1 && Point + Box <= 1, "point and box are chances that add up to at most 1");
        Check(Background is >= 0 and <= 1, "background must be in [0, 1]");
        Check(Negative is >= 0 and <= 1, "negative must be in [0, 1]");
        Check(MaxPositive >= 1, "max_positive must be >= 1");
        Check(BoxNoise >= 0 && BoxNoiseMax >= 0, "box_noise and box_noise_max must be >= 0");
    }
}
