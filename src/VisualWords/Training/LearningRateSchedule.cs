namespace VisualWords.Training;

/// <summary>Linear warmup from 0, then cosine or linear decay to <c>lr × min_lr_ratio</c> (a pure function of the step).</summary>
public static class LearningRateSchedule
{
    public static double At(OptimConfig o, long step, long totalSteps)
    {
        if (o.WarmupSteps > 0 && step < o.WarmupSteps) return o.Lr * (step + 1) / o.WarmupSteps;
        if (o.Schedule == LrSchedule.Constant) return o.Lr;
        double span = Math.Max(1, totalSteps - o.WarmupSteps);
        double t = Math.Clamp((step - o.WarmupSteps) / span, 0, 1);
        double min = o.Lr * o.MinLrRatio;
        double f = o.Schedule == LrSchedule.Cosine ? 0.5 * (1 + Math.Cos(Math.PI * t)) : 1 - t;
        return min + (o.Lr - min) * f;
    }
}
