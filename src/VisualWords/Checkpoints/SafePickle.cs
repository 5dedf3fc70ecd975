using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace VisualWords.Checkpoints;

/// <summary>A global (module + name) a pickle asks for; the policy decides what it becomes.</summary>
public sealed record PickleGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>
/// A restricted pickle reader in the spirit of <c>torch.load(weights_only=True)</c>: it interprets
/// the pickle opcodes itself and never runs code from the file. Plain containers, strings,
/// numbers, bytes, booleans and None are built directly; every GLOBAL the pickle names must be
/// resolved by the caller's policy, and an unknown one is refused with its name before anything
/// is called. Python objects map to: dict → Dictionary&lt;object, object?&gt; (insertion order kept
/// by <see cref="PickleDict"/>), list → List&lt;object?&gt;, tuple → object?[], str → string,
/// int → long (or BigInteger), float → double, bytes → byte[], set/frozenset → HashSet&lt;object?&gt;.
/// </summary>
public static class SafePickle
{
    /// <summary>Resolves a GLOBAL to a callable: receives the REDUCE/NEWOBJ arguments.</summary>
    public delegate object? GlobalFunction(object?[] args);

    /// <summary>Loads a pickle of plain data only (e.g. the refer datasets' refs(*.p)).</summary>
    public static object? LoadPlain(Stream pickle) => Load(pickle, PlainGlobals, persistentLoad: null);

    /// <summary>
    /// The globals plain Python data legitimately uses: OrderedDict, set/frozenset and
    /// <c>_codecs.encode</c> (how protocol 2 writes Python 3 bytes). None of them runs user code.
    /// </summary>
    public static GlobalFunction? PlainGlobals(PickleGlobal g) => (g.Module, g.Name) switch
    {
        ("collections", "OrderedDict") => args => new PickleDict(),
        ("builtins" or "__builtin__", "set") => args => new HashSet<object?>(args.Length > 0 ? AsEnumerable(args[0]) : []),
        ("builtins" or "__builtin__", "frozenset") => args => new HashSet<object?>(args.Length > 0 ? AsEnumerable(args[0]) : []),
        ("_codecs", "encode") => args => args is [string text, "latin1" or "latin-1"]
            ? Encoding.Latin1.GetBytes(text)
            : throw new BadInputException("pickle: _codecs.encode with an unsupported encoding"),
        _ => null,
    };

    static IEnumerable<object?> AsEnumerable(object? o) => o switch
    {
        List<object?> l => l,
        object?[] t => t,
        HashSet<object?> s => s,
        _ => throw new BadInputException("pickle: set() argument is not a sequence"),
    };

    /// <summary>
    /// Runs the restricted pickle machine. <paramref name="resolve"/> maps each GLOBAL to a function
    /// (or null to refuse it); <paramref name="persistentLoad"/> resolves persistent ids (torch
    /// uses them for storages).
    /// </summary>
    public static object? Load(Stream pickle, Func<PickleGlobal, GlobalFunction?> resolve, Func<object?, object?>? persistentLoad)
    {
        try
        {
            return new Machine(pickle, resolve, persistentLoad).Run();
        }
        catch (EndOfStreamException)
        {
            throw new BadInputException("pickle is truncated (ended before its STOP opcode)");
        }
        catch (InvalidCastException e)
        {
            throw new BadInputException($"pickle is malformed: {e.Message}");
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new BadInputException($"pickle is malformed: {e.Message}");
        }
        catch (Exception e) when (e is FormatException or OverflowException)   // a text opcode's number (INT, LONG, PUT, GET) that is not one
        {
            throw new BadInputException($"pickle is malformed: {e.Message}");
        }
    }

    sealed class Mark { public static readonly Mark Instance = new(); }

    sealed class Machine(Stream s, Func<PickleGlobal, GlobalFunction?> resolve, Func<object?, object?>? persistentLoad)
    {
        readonly BinaryReader _r = new(s, Encoding.UTF8, leaveOpen: true);
        readonly List<object?> _stack = new();
        readonly Stack<List<object?>> _marks = new();
        readonly Dictionary<long, object?> _memo = new();
        const int MaxFrameLength = int.MaxValue;

        object? Pop()
        {
            if (_stack.Count == 0) throw new BadInputException("pickle is malformed: stack underflow");
            var o = _stack[^1];
            _stack.RemoveAt(_stack.Count - 1);
            return o;
        }

        object? Top => _stack.Count > 0 ? _stack[^1] : throw new BadInputException("pickle is malformed: empty stack");

        List<object?> PopMark()
        {
            if (_marks.Count == 0) throw new BadInputException("pickle is malformed: no MARK");
            var items = new List<object?>(_stack);
            var outer = _marks.Pop();
            if (outer.Count > items.Count) throw new BadInputException("pickle is malformed: the stack shrank below its MARK");
            _stack.Clear();
            _stack.AddRange(outer);
            items.RemoveRange(0, outer.Count);
            return items;
        }

        string ReadLine()
        {
            var sb = new StringBuilder();
            while (true)
            {
                byte b = _r.ReadByte();
                if (b == (byte)'\n') return sb.ToString();
                sb.Append((char)b);
                if (sb.Length > 1 << 16) throw new BadInputException("pickle is malformed: text line too long");
            }
        }

        /// <summary>
        /// Reads a length-prefixed payload in chunks, so a corrupt length asks for no more memory
        /// than the stream really holds (BinaryReader.ReadBytes allocates the whole count first).
        /// </summary>
        byte[] ReadBytes(long n)
        {
            if (n < 0 || n > MaxFrameLength) throw new BadInputException($"pickle is malformed: length {n}");
            if (s.CanSeek && n > s.Length - s.Position) throw new EndOfStreamException();
            if (n <= Chunk) return Exactly(_r.ReadBytes((int)n), n);
            using var buffer = new MemoryStream();
            for (long left = n; left > 0; left -= Chunk)
                buffer.Write(Exactly(_r.ReadBytes((int)Math.Min(Chunk, left)), Math.Min(Chunk, left)));
            return buffer.ToArray();
        }

        const int Chunk = 1 << 20;

        static byte[] Exactly(byte[] b, long n) => b.Length == n ? b : throw new EndOfStreamException();

        void PushGlobal(string module, string name)
        {
            var g = new PickleGlobal(module, name);
            var fn = resolve(g) ?? throw new BadInputException(
                $"pickle refers to the global '{g}', which is not allowed (only tensor-rebuilding and plain-container globals are)");
            _stack.Add(fn);
        }

        object? Call(object? callable, object?[] args) => callable is GlobalFunction f
            ? f(args)
            : throw new BadInputException("pickle is malformed: REDUCE on something that is not an allowed global");

        public object? Run()
        {
            while (true)
            {
                byte op = _r.ReadByte();
                switch (op)
                {
                    case 0x80: _r.ReadByte(); break;                                   // PROTO
                    case 0x95: _r.ReadInt64(); break;                                  // FRAME (we read straight through)
                    case (byte)'.': return Pop();                                      // STOP
                    case (byte)'(': _marks.Push(new List<object?>(_stack)); break;     // MARK
                    case (byte)'0': Pop(); break;                                      // POP
                    case (byte)'1': PopMark(); break;                                  // POP_MARK
                    case (byte)'2': _stack.Add(Top); break;                            // DUP
                    case (byte)'N': _stack.Add(null); break;
                    case 0x88: _stack.Add(true); break;
                    case 0x89: _stack.Add(false); break;
                    case (byte)'J': _stack.Add((long)_r.ReadInt32()); break;           // BININT
                    case (byte)'K': _stack.Add((long)_r.ReadByte()); break;            // BININT1
                    case (byte)'M': _stack.Add((long)_r.ReadUInt16()); break;          // BININT2
                    case (byte)'I':                                                    // INT (text)
                    {
                        var line = ReadLine();
                        _stack.Add(line switch { "00" => false, "01" => true, _ => long.Parse(line) });
                        break;
                    }
                    case (byte)'L': _stack.Add(Normalize(BigInteger.Parse(ReadLine().TrimEnd('L')))); break;
                    case 0x8a: _stack.Add(Normalize(new BigInteger(ReadBytes(_r.ReadByte()), isUnsigned: false, isBigEndian: false))); break;
                    case 0x8b: _stack.Add(Normalize(new BigInteger(ReadBytes(_r.ReadInt32()), isUnsigned: false, isBigEndian: false))); break;
                    case (byte)'G': _stack.Add(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break;
                    case (byte)'F': _stack.Add(double.Parse(ReadLine(), System.Globalization.CultureInfo.InvariantCulture)); break;
                    case (byte)'X': _stack.Add(Encoding.UTF8.GetString(ReadBytes(_r.ReadUInt32()))); break;   // BINUNICODE
                    case 0x8c: _stack.Add(Encoding.UTF8.GetString(ReadBytes(_r.ReadByte()))); break;          // SHORT_BINUNICODE
                    case 0x8d: _stack.Add(Encoding.UTF8.GetString(ReadBytes(_r.ReadInt64()))); break;         // BINUNICODE8
                    case (byte)'V': _stack.Add(System.Text.RegularExpressions.Regex.Unescape(ReadLine())); break; // UNICODE (raw-unicode-escape)
                    // Python 2 str: bytes that were text; refer pickles are full of them.
                    case (byte)'U': _stack.Add(Encoding.Latin1.GetString(ReadBytes(_r.ReadByte()))); break;   // SHORT_BINSTRING
                    case (byte)'T': _stack.Add(Encoding.Latin1.GetString(ReadBytes(_r.ReadInt32()))); break;  // BINSTRING
                    case (byte)'S': _stack.Add(ParsePy2StringLiteral(ReadLine())); break;                     // STRING
                    case (byte)'C': _stack.Add(ReadBytes(_r.ReadByte())); break;                              // SHORT_BINBYTES
                    case (byte)'B': _stack.Add(ReadBytes(_r.ReadUInt32())); break;                            // BINBYTES
                    case 0x8e: _stack.Add(ReadBytes(_r.ReadInt64())); break;                                  // BINBYTES8
                    case 0x96: _stack.Add(ReadBytes(_r.ReadInt64())); break;                                  // BYTEARRAY8
                    case (byte)')': _stack.Add(Array.Empty<object?>()); break;                                // EMPTY_TUPLE
                    case (byte)'t': _stack.Add(PopMark().ToArray()); break;                                   // TUPLE
                    case 0x85: { var a = Pop(); _stack.Add(new[] { a }); break; }
                    case 0x86: { var b = Pop(); var a = Pop(); _stack.Add(new[] { a, b }); break; }
                    case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); _stack.Add(new[] { a, b, c }); break; }
                    case (byte)']': _stack.Add(new List<object?>()); break;                                   // EMPTY_LIST
                    case (byte)'l': _stack.Add(PopMark()); break;                                             // LIST
                    case (byte)'a': { var v = Pop(); AsList(Top).Add(v); break; }                             // APPEND
                    case (byte)'e': { var items = PopMark(); AsList(Top).AddRange(items); break; }            // APPENDS
                    case (byte)'}': _stack.Add(new PickleDict()); break;                                      // EMPTY_DICT
                    case (byte)'d':                                                                           // DICT
                    {
                        var items = PopMark();
                        var d = new PickleDict();
                        for (int i = 0; i + 1 < items.Count; i += 2) d[Key(items[i])] = items[i + 1];
                        _stack.Add(d);
                        break;
                    }
                    case (byte)'s': { var v = Pop(); var k = Pop(); AsDict(Top)[Key(k)] = v; break; }          // SETITEM
                    case (byte)'u':                                                                           // SETITEMS
                    {
                        var items = PopMark();
                        var d = AsDict(Top);
                        for (int i = 0; i + 1 < items.Count; i += 2) d[Key(items[i])] = items[i + 1];
                        break;
                    }
                    case 0x8f: _stack.Add(new HashSet<object?>()); break;                                     // EMPTY_SET
                    case 0x90:                                                                                // ADDITEMS
                    {
                        var items = PopMark();
                        if (Top is not HashSet<object?> set) throw new BadInputException("pickle is malformed: ADDITEMS on a non-set");
                        foreach (var i in items) set.Add(i);
                        break;
                    }
                    case 0x91: _stack.Add(new HashSet<object?>(PopMark())); break;                            // FROZENSET
                    case (byte)'p': _memo[long.Parse(ReadLine())] = Top; break;                               // PUT
                    case (byte)'q': _memo[_r.ReadByte()] = Top; break;                                        // BINPUT
                    case (byte)'r': _memo[_r.ReadUInt32()] = Top; break;                                      // LONG_BINPUT
                    case 0x94: _memo[_memo.Count] = Top; break;                                               // MEMOIZE
                    case (byte)'g': _stack.Add(Memo(long.Parse(ReadLine()))); break;                          // GET
                    case (byte)'h': _stack.Add(Memo(_r.ReadByte())); break;                                   // BINGET
                    case (byte)'j': _stack.Add(Memo(_r.ReadUInt32())); break;                                 // LONG_BINGET
                    case (byte)'c': { var module = ReadLine(); var name = ReadLine(); PushGlobal(module, name); break; } // GLOBAL
                    case 0x93:                                                                                // STACK_GLOBAL
                    {
                        var name = Pop() as string; var module = Pop() as string;
                        if (name == null || module == null) throw new BadInputException("pickle is malformed: STACK_GLOBAL without strings");
                        PushGlobal(module, name);
                        break;
                    }
                    case (byte)'R': { var args = Pop() as object?[] ?? throw new BadInputException("pickle is malformed: REDUCE args"); var f = Pop(); _stack.Add(Call(f, args)); break; }
                    case 0x81: { var args = Pop() as object?[] ?? throw new BadInputException("pickle is malformed: NEWOBJ args"); var f = Pop(); _stack.Add(Call(f, args)); break; }
                    case (byte)'b':                                                                           // BUILD
                    {
                        var state = Pop();
                        // OrderedDict and tensors carry no state we need; anything else with state is
                        // only possible for objects an allowed global produced, which ignore it.
                        if (Top is PickleDict d && state is PickleDict sd) foreach (var kv in sd) d[kv.Key] = kv.Value;
                        break;
                    }
                    case (byte)'Q':                                                                           // BINPERSID
                    {
                        var pid = Pop();
                        if (persistentLoad == null) throw new BadInputException("pickle uses persistent ids, which plain data never does");
                        _stack.Add(persistentLoad(pid));
                        break;
                    }
                    case (byte)'P':
                    {
                        var pid = ReadLine();
                        if (persistentLoad == null) throw new BadInputException("pickle uses persistent ids, which plain data never does");
                        _stack.Add(persistentLoad(pid));
                        break;
                    }
                    case (byte)'i': case (byte)'o': case 0x92: case 0x82: case 0x83: case 0x84: case 0x97: case 0x98:
                        throw new BadInputException($"pickle uses opcode 0x{op:x2} (object construction / extensions / buffers), which is not allowed");
                    default:
                        throw new BadInputException($"pickle is malformed: unknown opcode 0x{op:x2}");
                }
            }
        }

        object? Memo(long i) => _memo.TryGetValue(i, out var v) ? v : throw new BadInputException($"pickle is malformed: memo {i} missing");

        static List<object?> AsList(object? o) => o as List<object?> ?? throw new BadInputException("pickle is malformed: APPEND on a non-list");
        static PickleDict AsDict(object? o) => o as PickleDict ?? throw new BadInputException("pickle is malformed: SETITEM on a non-dict");
        static object Key(object? k) => k switch
        {
            null => PickleNone.Instance,
            object?[] tuple => new PickleTuple(tuple),
            _ => k,
        };

        static object Normalize(BigInteger b) => b >= long.MinValue && b <= long.MaxValue ? (long)b : b;

        static string ParsePy2StringLiteral(string line)
        {
            if (line.Length >= 2 && (line[0] == '\'' || line[0] == '"') && line[^1] == line[0])
                return System.Text.RegularExpressions.Regex.Unescape(line[1..^1]);
            throw new BadInputException("pickle is malformed: bad STRING literal");
        }
    }
}

/// <summary>A Python dict as read from a pickle: insertion-ordered (as Python dicts are).</summary>
public sealed class PickleDict : Dictionary<object, object?>
{
    // Dictionary<,> keeps insertion order as long as nothing is removed, which a pickle never does.
    public object? Get(string key) => TryGetValue(key, out var v) ? v : null;
}

/// <summary>None used as a dict key.</summary>
public sealed class PickleNone
{
    public static readonly PickleNone Instance = new();
    public override string ToString() => "None";
}

/// <summary>A tuple used as a dict key (value equality, as in Python).</summary>
public sealed record PickleTuple(object?[] Items)
{
    public bool Equals(PickleTuple? other) => other != null && Items.SequenceEqual(other.Items);
    public override int GetHashCode() => Items.Aggregate(17, (h, o) => h * 31 + (o?.GetHashCode() ?? 0));
}
