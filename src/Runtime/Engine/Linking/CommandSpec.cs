using System.Globalization;
using System.Text;

namespace SharpGears.Runtime.Engine.Linking;

/// <summary>
/// What Redis says of one command in <c>COMMAND INFO</c>: its flags and its key specifications, from
/// which the keys of any call are found (no table of key positions typed by hand; a command Redis
/// adds later is understood as soon as the backend knows it).
/// </summary>
internal sealed class CommandSpec
{
    private readonly KeySpec[] _keySpecs;

    // Writes that look their key up as a read first, so that Redis notifies a miss (they return the
    // old value); other writes that access their keys (LPOP, ...) look them up for writing: no miss.
    private static readonly HashSet<string> s_readingWrites = new(StringComparer.OrdinalIgnoreCase) { "getdel", "getex", "getset", "set" };

    private CommandSpec(string name, IReadOnlySet<string> flags, KeySpec[] keySpecs, bool hasSubcommands)
    {
        Name = name;
        Flags = flags;
        _keySpecs = keySpecs;
        HasSubcommands = hasSubcommands;
    }

    /// <summary>The position of the command's one key, when it has exactly one at a fixed place (GET, SET, HSET, ...).</summary>
    public int? SingleKeyIndex => _keySpecs is [{ Keyword: null, Range: true, LastKey: 0 } spec] ? spec.Index : null;

    /// <summary>The command's name, lower case.</summary>
    public string Name { get; }

    /// <summary>Redis' flags for it: "readonly", "write", "noscript", "movablekeys", ...</summary>
    public IReadOnlySet<string> Flags { get; }

    /// <summary>A container command (CONFIG, OBJECT, ...): its keys belong to its subcommands.</summary>
    public bool HasSubcommands { get; }

    /// <summary>Its keys move with its arguments (EVAL's numkeys, SORT's STORE, ...).</summary>
    public bool MovableKeys => Flags.Contains("movablekeys");

    /// <summary>Redis refuses it inside scripts; RedisGears refuses to hook or link it.</summary>
    public bool NoScript => Flags.Contains("noscript");

    /// <summary>It changes data: a successful call fires the keyspace event Redis names for it.</summary>
    public bool Writes => Flags.Contains("write");

    /// <summary>
    /// The keys a call with <paramref name="arguments"/> (its name first) names, each with whether the
    /// call reads it (a read that finds nothing is a key miss) and whether it writes it.
    /// </summary>
    public List<CommandKey> Keys(IReadOnlyList<byte[]> arguments)
    {
        var keys = new List<CommandKey>(1);
        foreach (var spec in _keySpecs)
        {
            spec.AddKeys(arguments, keys);
        }
        return keys;
    }

    /// <summary>Reads one command's entry of a <c>COMMAND INFO</c> reply (RESP2 form, maps flattened); null for a nil entry.</summary>
    public static CommandSpec? Parse(object? entry)
    {
        if (entry is not object?[] { Length: >= 6 } fields || fields[0] is not string name)
        {
            return null;
        }
        var flags = (fields[2] as object?[] ?? []).OfType<string>().Select(f => f.ToLowerInvariant()).ToHashSet();
        var readsOnAccess = !flags.Contains("write") || s_readingWrites.Contains(name);
        var keySpecs = fields.Length > 8 && fields[8] is object?[] specs
            ? specs.Select(spec => KeySpec.Parse(spec, readsOnAccess)).OfType<KeySpec>().ToArray()
            : [];
        var hasSubcommands = fields.Length > 9 && fields[9] is object?[] { Length: > 0 };
        return new CommandSpec(name.ToLowerInvariant(), flags, keySpecs, hasSubcommands);
    }

    // A flattened RESP2 map: name, value, name, value, ...
    private static object? Field(object? map, string name)
    {
        if (map is object?[] pairs)
        {
            for (var i = 0; i + 1 < pairs.Length; i += 2)
            {
                if (pairs[i] is string key && string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                {
                    return pairs[i + 1];
                }
            }
        }
        return null;
    }

    private static int Number(object? map, string name) => Field(map, name) is long value ? (int)value : 0;

    /// <summary>
    /// One key specification: where the search for keys begins (an index, or after a keyword) and how
    /// keys are found from there (a range, or a count given by an argument), as Redis documents them.
    /// </summary>
    private sealed record KeySpec(bool Reads, bool Writes, int Index, string? Keyword, int StartFrom, bool Range, int LastKey, int KeyStep, int Limit, int KeyNumIndex, int FirstKey)
    {
        public static KeySpec? Parse(object? spec, bool readsOnAccess)
        {
            var flags = (Field(spec, "flags") as object?[] ?? []).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
            var begin = Field(spec, "begin_search");
            var find = Field(spec, "find_keys");
            var beginSpec = Field(begin, "spec");
            var findSpec = Field(find, "spec");
            var reads = flags.Contains("RO") || (readsOnAccess && flags.Contains("access"));
            var writes = flags.Contains("RW") || flags.Contains("OW") || flags.Contains("RM");
            var range = Field(find, "type") as string == "range";
            if (Field(find, "type") as string is not ("range" or "keynum"))
            {
                return null; // "unknown": Redis itself cannot say without running the command
            }
            return (Field(begin, "type") as string) switch
            {
                "index" => new KeySpec(reads, writes, Number(beginSpec, "index"), null, 0, range,
                    Number(findSpec, "lastkey"), Math.Max(1, Number(findSpec, "keystep")), Number(findSpec, "limit"), Number(findSpec, "keynumidx"), Number(findSpec, "firstkey")),
                "keyword" => new KeySpec(reads, writes, 0, Field(beginSpec, "keyword") as string, Number(beginSpec, "startfrom"), range,
                    Number(findSpec, "lastkey"), Math.Max(1, Number(findSpec, "keystep")), Number(findSpec, "limit"), Number(findSpec, "keynumidx"), Number(findSpec, "firstkey")),
                _ => null,
            };
        }

        public void AddKeys(IReadOnlyList<byte[]> arguments, List<CommandKey> keys)
        {
            var count = arguments.Count;
            if (Begin(arguments) is not int first)
            {
                return;
            }
            int last;
            if (Range)
            {
                last = LastKey >= 0 ? first + LastKey
                    : Limit <= 1 ? count + LastKey
                    : first + ((count - first) / Limit) + LastKey;
            }
            else
            {
                var numberAt = first + KeyNumIndex;
                if (numberAt >= count || !int.TryParse(Encoding.ASCII.GetString(arguments[numberAt]), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) || number <= 0)
                {
                    return;
                }
                first += FirstKey;
                last = first + ((number - 1) * KeyStep);
            }
            for (var i = first; i <= last && i < count; i += KeyStep)
            {
                keys.Add(new CommandKey(arguments[i], Reads, Writes));
            }
        }

        private int? Begin(IReadOnlyList<byte[]> arguments)
        {
            if (Keyword is null)
            {
                return Index < arguments.Count ? Index : null;
            }
            var keyword = Encoding.ASCII.GetBytes(Keyword);
            if (StartFrom >= 0)
            {
                for (var i = StartFrom; i < arguments.Count; i++)
                {
                    if (System.Text.Ascii.EqualsIgnoreCase(arguments[i], keyword))
                    {
                        return i + 1;
                    }
                }
            }
            else
            {
                for (var i = arguments.Count + StartFrom; i > 0; i--)
                {
                    if (System.Text.Ascii.EqualsIgnoreCase(arguments[i], keyword))
                    {
                        return i + 1;
                    }
                }
            }
            return null;
        }
    }
}

/// <summary>A key named by a command call, and what the call does with it.</summary>
internal readonly record struct CommandKey(byte[] Name, bool Read, bool Written);
