using static TorchSharp.torch;

namespace VisualWords.Language;

/// <summary>
/// Keys and values of every layer for the tokens seen so far (<c>B x KvHeads x S x D</c>, after RoPE,
/// before the grouped-query repeat), plus which of those S positions are real tokens (padding
/// is false) and the next position id per row. Owns its tensors.
/// </summary>
public sealed class KvCache : IDisposable
{
    readonly Tensor?[] _keys;
    readonly Tensor?[] _values;
    Tensor? _keyMask;

    public KvCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
    }

    /// <summary>Cached sequence length S (0 when empty).</summary>
    public long Length => _keys[0]?.shape[2] ?? 0;

    /// <summary><c>B x S</c> bool: which cached positions are real tokens.</summary>
    public Tensor? KeyMask => _keyMask;

    /// <summary>Concatenates this step's keys/values for one layer and returns the full ones.</summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        var k = _keys[layer] is { } pk ? cat([pk, keys], 2) : keys.alias();
        var v = _values[layer] is { } pv ? cat([pv, values], 2) : values.alias();
        _keys[layer]?.Dispose();
        _values[layer]?.Dispose();
        _keys[layer] = k.DetachFromDisposeScope();
        _values[layer] = v.DetachFromDisposeScope();
        return (k, v);
    }

    /// <summary>Extends the real-token mask by this step's <c>B x T</c> mask.</summary>
    internal void AppendMask(Tensor stepMask)
    {
        var m = _keyMask is null ? stepMask.to_type(ScalarType.Bool).alias() : cat([_keyMask, stepMask.to_type(ScalarType.Bool)], 1);
        _keyMask?.Dispose();
        _keyMask = m.DetachFromDisposeScope();
    }

    /// <summary>
    /// An independent cache that starts from this one's contents without copying them (tensor
    /// aliases): a session can cache a shared prefix and fork it for every query.
    /// </summary>
    public KvCache Fork()
    {
        var f = new KvCache(_keys.Length);
        for (int i = 0; i < _keys.Length; i++)
        {
            f._keys[i] = _keys[i]?.alias().DetachFromDisposeScope();
            f._values[i] = _values[i]?.alias().DetachFromDisposeScope();
        }
        f._keyMask = _keyMask?.alias().DetachFromDisposeScope();
        return f;
    }

    public void Dispose()
    {
        for (int i = 0; i < _keys.Length; i++)
        {
            _keys[i]?.Dispose(); _keys[i] = null;
            _values[i]?.Dispose(); _values[i] = null;
        }
        _keyMask?.Dispose();
        _keyMask = null;
    }
}
