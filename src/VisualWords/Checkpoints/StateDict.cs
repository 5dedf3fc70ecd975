using System.Collections;
using static TorchSharp.torch;

namespace VisualWords.Checkpoints;

/// <summary>
/// An ordered name → tensor map, as a checkpoint stores it. Owns its tensors: disposing the
/// state dict disposes them (detach a tensor with <see cref="Remove"/> to keep it).
/// </summary>
public sealed class StateDict : IDisposable, IReadOnlyDictionary<string, Tensor>
{
    readonly List<string> _order = new();
    readonly Dictionary<string, Tensor> _map = new(StringComparer.Ordinal);

    public Tensor this[string key] => _map.TryGetValue(key, out var t) ? t
        : throw new KeyNotFoundException($"state dict has no key '{key}'");

    public IEnumerable<string> Keys => _order;
    public IEnumerable<Tensor> Values => _order.Select(k => _map[k]);
    public int Count => _order.Count;

    public void Add(string key, Tensor value)
    {
        if (_map.ContainsKey(key)) throw new BadInputException($"duplicate key '{key}' in state dict");
        _order.Add(key);
        _map[key] = value;
    }

    /// <summary>Removes a key and hands the tensor to the caller (no longer disposed by this dict).</summary>
    public Tensor Remove(string key)
    {
        var t = this[key];
        _map.Remove(key);
        _order.Remove(key);
        return t;
    }

    public bool ContainsKey(string key) => _map.ContainsKey(key);
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor value) => _map.TryGetValue(key, out value);

    public long ParameterCount => Values.Sum(t => t.numel());

    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() =>
        _order.Select(k => new KeyValuePair<string, Tensor>(k, _map[k])).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        foreach (var t in _map.Values) t.Dispose();
        _map.Clear();
        _order.Clear();
    }
}
