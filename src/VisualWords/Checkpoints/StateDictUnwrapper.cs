namespace VisualWords.Checkpoints;

/// <summary>
/// Finds the name → tensor map inside what a checkpoint's pickle holds: a bare state dict, or one
/// nested under "model" / "state_dict" / "module" (training scripts' wrappers). Non-tensor entries
/// next to the tensors (e.g. an epoch counter) are skipped.
/// </summary>
internal static class StateDictUnwrapper
{
    static readonly string[] WrapperKeys = { "model", "state_dict", "module", "model_state_dict" };

    public static List<KeyValuePair<string, T>> Unwrap<T>(object? root, string what) where T : class
    {
        var dict = root as PickleDict ?? throw new BadInputException($"{what}: the checkpoint does not hold a dict of tensors");
        for (int depth = 0; depth < 4; depth++)
        {
            var tensors = dict.Where(kv => kv.Key is string && kv.Value is T).ToList();
            if (tensors.Count > 0)
                return tensors.Select(kv => new KeyValuePair<string, T>((string)kv.Key, (T)kv.Value!)).ToList();
            var inner = WrapperKeys.Select(k => dict.Get(k)).OfType<PickleDict>().FirstOrDefault();
            if (inner == null) break;
            dict = inner;
        }
        throw new BadInputException($"{what}: no tensors found (looked at the top level and under {string.Join("/", WrapperKeys)})");
    }
}
