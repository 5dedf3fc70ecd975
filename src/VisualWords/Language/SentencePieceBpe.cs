using System.Text;

namespace VisualWords.Language;

/// <summary>
/// SentencePiece BPE as LLaMA uses it (tokenizer.model): identity normalizer, "▁" for spaces with a
/// dummy prefix, merges by piece score with ties going to the leftmost pair, and byte fallback
/// (&lt;0xNN&gt; pieces) for characters outside the vocabulary. Written against SentencePiece's
/// documented algorithm because Microsoft.ML.Tokenizers 2.0.1 breaks score ties differently
/// (e.g. 40 × "x" gives other ids than the reference library).
/// </summary>
public sealed class SentencePieceBpe
{
    enum PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

    readonly string[] _pieces;
    readonly float[] _scores;
    readonly PieceType[] _types;
    readonly Dictionary<string, int> _mergeable = new(StringComparer.Ordinal); // normal + user-defined pieces
    readonly int[] _byteIds = Enumerable.Repeat(-1, 256).ToArray();
    readonly bool _addDummyPrefix, _removeExtraWhitespaces, _byteFallback;

    public int VocabSize => _pieces.Length;
    public int UnkId { get; } = 0;
    public int BosId { get; } = 1;
    public int EosId { get; } = 2;

    SentencePieceBpe(List<(string Piece, float Score, int Type)> pieces, bool addDummyPrefix, bool removeExtraWhitespaces,
        bool byteFallback, int unk, int bos, int eos)
    {
        _pieces = pieces.Select(p => p.Piece).ToArray();
        _scores = pieces.Select(p => p.Score).ToArray();
        _types = pieces.Select(p => (PieceType)p.Type).ToArray();
        for (int i = 0; i < _pieces.Length; i++)
        {
            if (_types[i] is PieceType.Normal or PieceType.UserDefined) _mergeable.TryAdd(_pieces[i], i);
            if (_types[i] == PieceType.Byte && _pieces[i].Length == 6 && _pieces[i].StartsWith("<0x"))
                _byteIds[Convert.ToInt32(_pieces[i][3..5], 16)] = i;
        }
        (_addDummyPrefix, _removeExtraWhitespaces, _byteFallback) = (addDummyPrefix, removeExtraWhitespaces, byteFallback);
        (UnkId, BosId, EosId) = (unk, bos, eos);
    }

    /// <summary>Parses the ModelProto protobuf (pieces, normalizer and trainer flags we need).</summary>
    public static SentencePieceBpe Load(byte[] model)
    {
        var pieces = new List<(string, float, int)>();
        bool dummy = true, removeWs = true, byteFallback = false;
        int modelType = 1, unk = 0, bos = 1, eos = 2;
        string normalizer = "nmt_nfkc";
        var r = new ProtoReader(model);
        while (r.More)
        {
            var (field, wire) = r.Tag();
            if (field == 1 && wire == 2) pieces.Add(ReadPiece(r.Bytes()));
            else if (field == 2 && wire == 2)
            {
                var t = new ProtoReader(r.Bytes());
                while (t.More)
                {
                    var (f, w) = t.Tag();
                    if (f == 3 && w == 0) modelType = (int)t.Varint();
                    else if (f == 35 && w == 0) byteFallback = t.Varint() != 0;
                    else if (f == 40 && w == 0) unk = (int)t.Varint();
                    else if (f == 41 && w == 0) bos = (int)t.Varint();
                    else if (f == 42 && w == 0) eos = (int)t.Varint();
                    else t.Skip(w);
                }
            }
            else if (field == 3 && wire == 2)
            {
                var n = new ProtoReader(r.Bytes());
                while (n.More)
                {
                    var (f, w) = n.Tag();
                    if (f == 1 && w == 2) normalizer = Encoding.UTF8.GetString(n.Bytes());
                    else if (f == 3 && w == 0) dummy = n.Varint() != 0;
                    else if (f == 4 && w == 0) removeWs = n.Varint() != 0;
                    else n.Skip(w);
                }
            }
            else r.Skip(wire);
        }
        if (pieces.Count == 0) throw new BadInputException("SentencePiece model has no pieces");
        if (modelType != 2) throw new BadInputException($"SentencePiece model type {modelType} is not BPE (2); only LLaMA-style BPE models are supported");
        if (normalizer != "identity") throw new BadInputException($"SentencePiece normalizer '{normalizer}' is not supported (LLaMA uses 'identity')");
        // SentencePiece matches user-defined pieces in the raw text before BPE; LLaMA has none and
        // that path is not implemented, so refuse rather than tokenize such models differently.
        if (pieces.FirstOrDefault(p => p.Item3 == (int)PieceType.UserDefined) is { Item1: { } ud } && ud.Length > 0)
            throw new BadInputException($"SentencePiece model has user-defined pieces (e.g. '{ud}'), which this tokenizer does not support");
        return new SentencePieceBpe(pieces, dummy, removeWs, byteFallback, unk, bos, eos);
    }

    static (string, float, int) ReadPiece(byte[] bytes)
    {
        string piece = ""; float score = 0; int type = 1;
        var r = new ProtoReader(bytes);
        while (r.More)
        {
            var (f, w) = r.Tag();
            if (f == 1 && w == 2) piece = Encoding.UTF8.GetString(r.Bytes());
            else if (f == 2 && w == 5) score = r.Float();
            else if (f == 3 && w == 0) type = (int)r.Varint();
            else r.Skip(w);
        }
        return (piece, score, type);
    }

    /// <summary>Ids of <paramref name="text"/> (no BOS/EOS).</summary>
    public List<int> Encode(string text)
    {
        if (_removeExtraWhitespaces) text = string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        if (text.Length == 0) return [];
        var normalized = (_addDummyPrefix ? " " : "") + text;
        normalized = normalized.Replace(' ', '▁');

        // Symbols start as single characters (a surrogate pair stays one symbol), linked left/right.
        var symbols = new List<string>();
        for (int i = 0; i < normalized.Length; i += char.IsSurrogatePair(normalized, i) ? 2 : 1)
            symbols.Add(normalized.Substring(i, char.IsSurrogatePair(normalized, i) ? 2 : 1));
        int n = symbols.Count;
        var prev = Enumerable.Range(-1, n).ToArray();
        var next = Enumerable.Range(1, n).Select(i => i < n ? i : -1).ToArray();
        var alive = Enumerable.Repeat(true, n).ToArray();

        // Highest score first, then leftmost: SentencePiece's agenda order.
        var agenda = new PriorityQueue<(int Left, int Right, string Merged), (float, int)>(
            Comparer<(float Score, int Left)>.Create((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Left.CompareTo(b.Left)));
        void Consider(int left, int right)
        {
            if (left < 0 || right < 0) return;
            var merged = symbols[left] + symbols[right];
            if (_mergeable.TryGetValue(merged, out var id)) agenda.Enqueue((left, right, merged), (_scores[id], left));
        }
        for (int i = 0; i + 1 < n; i++) Consider(i, i + 1);
        while (agenda.TryDequeue(out var pair, out _))
        {
            // Skip stale pairs whose symbols changed since they were queued.
            if (!alive[pair.Left] || !alive[pair.Right] || next[pair.Left] != pair.Right || symbols[pair.Left] + symbols[pair.Right] != pair.Merged) continue;
            symbols[pair.Left] = pair.Merged;
            alive[pair.Right] = false;
            next[pair.Left] = next[pair.Right];
            if (next[pair.Right] >= 0) prev[next[pair.Right]] = pair.Left;
            Consider(prev[pair.Left], pair.Left);
            Consider(pair.Left, next[pair.Left]);
        }

        var ids = new List<int>();
        for (int i = 0; i >= 0 && i < n; i = next[i])
        {
            if (_mergeable.TryGetValue(symbols[i], out var id)) { ids.Add(id); continue; }
            if (_byteFallback) foreach (var b in Encoding.UTF8.GetBytes(symbols[i])) ids.Add(_byteIds[b] >= 0 ? _byteIds[b] : UnkId);
            else ids.Add(UnkId);
        }
        return ids;
    }

    /// <summary>Text of <paramref name="ids"/>: pieces joined, byte pieces decoded as UTF-8, "▁" back to spaces.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (id < 0 || id >= _pieces.Length) throw new BadInputException($"token id {id} is outside the vocabulary [0, {_pieces.Length})");
            switch (_types[id])
            {
                case PieceType.Control: break;
                case PieceType.Byte: bytes.Add(Convert.ToByte(_pieces[id][3..5], 16)); break;
                case PieceType.Unknown: bytes.AddRange(Encoding.UTF8.GetBytes(" ⁇ ")); break;
                default: bytes.AddRange(Encoding.UTF8.GetBytes(_pieces[id])); break;
            }
        }
        var text = Encoding.UTF8.GetString(bytes.ToArray()).Replace('▁', ' ');
        return _addDummyPrefix && text.StartsWith(' ') ? text[1..] : text;
    }

    /// <summary>Just enough protobuf wire-format reading for ModelProto.</summary>
    sealed class ProtoReader(byte[] data)
    {
        int _pos;
        public bool More => _pos < data.Length;

        public ulong Varint()
        {
            ulong v = 0;
            for (int shift = 0; ; shift += 7)
            {
                if (_pos >= data.Length || shift > 63) throw new BadInputException("SentencePiece model is truncated or not a protobuf");
                byte b = data[_pos++];
                v |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0) return v;
            }
        }

        public (int Field, int Wire) Tag() { var t = Varint(); return ((int)(t >> 3), (int)(t & 7)); }

        public byte[] Bytes()
        {
            var len = Varint();
            if (len > (ulong)(data.Length - _pos)) throw new BadInputException("SentencePiece model is truncated or not a protobuf");
            var b = data.AsSpan(_pos, (int)len).ToArray();
            _pos += (int)len;
            return b;
        }

        public float Float()
        {
            if (_pos + 4 > data.Length) throw new BadInputException("SentencePiece model is truncated");
            var f = BitConverter.ToSingle(data, _pos);
            _pos += 4;
            return f;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: _pos += 8; break;
                case 2: Bytes(); break;
                case 5: _pos += 4; break;
                default: throw new BadInputException($"SentencePiece model: unsupported protobuf wire type {wire} (not a tokenizer.model?)");
            }
            if (_pos > data.Length) throw new BadInputException("SentencePiece model is truncated");
        }
    }
}
