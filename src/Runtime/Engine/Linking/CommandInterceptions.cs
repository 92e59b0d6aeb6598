using System.Collections.Frozen;
using SharpGears.Runtime.Engine.KeyEvents;
using SharpGears.Runtime.Engine.Registrations;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Engine.Linking;

/// <summary>
/// The client commands the gateway must not just forward, built from the live registrations and
/// replaced whole when they change: commands named in a registration's <c>commands</c> (linked) and
/// hooked commands. The gateway looks a command up by its name bytes in O(1), without allocating.
/// </summary>
internal sealed class CommandInterceptions
{
    private readonly FrozenDictionary<string, InterceptedCommand>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public CommandInterceptions(IEnumerable<InterceptedCommand> commands, IReadOnlyDictionary<string, Registration> triggers)
    {
        _lookup = commands.ToFrozenDictionary(c => c.Spec.Name, StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var name in _lookup.Dictionary.Keys)
        {
            _firstLetters[(name[0] | 0x20) & 127] = true; // the same folding as TryGet
        }
        Triggers = triggers.ToFrozenDictionary(StringComparer.Ordinal);
    }

    // The first letters of the intercepted names, lower case: most commands are passed over on that alone.
    private readonly bool[] _firstLetters = new bool[128];

    /// <summary>Trigger registrations by name (RG.TRIGGER).</summary>
    public FrozenDictionary<string, Registration> Triggers { get; }

    public bool TryGet(in CommandName name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out InterceptedCommand? command)
    {
        command = null;
        if (name.IsTooLong || name.Length == 0 || !_firstLetters[(name.Span[0] | 0x20) & 127])
        {
            return false;
        }
        Span<char> chars = stackalloc char[CommandName.MaxLength];
        var bytes = name.Span;
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[i] = (char)bytes[i];
        }
        return _lookup.TryGetValue(chars[..bytes.Length], out command);
    }
}

/// <summary>
/// One intercepted command: the hooks on it (the last registered first) and the registrations that
/// its calls fire, linked to the calling client.
/// </summary>
internal sealed class InterceptedCommand(CommandSpec spec, Registration[] hooks, Registration[] linked)
{
    // Whether any linked registration wants key misses, or write events (keyspace events other than misses).
    private readonly bool _wantsMisses = Array.Exists(linked, r => r.EventTypes?.Contains("keymiss") == true);
    private readonly bool _wantsWrites = WantsWrites(linked);

    // A one-key command that writes nothing a registration wants: its reply's first line tells all.
    private readonly bool _decidedOnSight = spec.SingleKeyIndex is not null && !(WantsWrites(linked) && spec.Writes);

    private static bool WantsWrites(Registration[] linked) =>
        Array.Exists(linked, r => r.EventTypes is null || r.EventTypes.Any(e => !string.Equals(e, "keymiss", StringComparison.OrdinalIgnoreCase)));

    // Every call is intercepted: a hook without keyPrefix, or a linked registration for all keys.
    private readonly bool _takesEveryCall = Array.Exists(hooks, h => h.Request.KeyPrefix is null) || Array.Exists(linked, r => r.Request.Prefix == "*");

    public CommandSpec Spec { get; } = spec;

    /// <summary>
    /// A first look, before anything is allocated for the call: false when no hook and no linked
    /// registration can take it (its keys match no prefix), so that it is forwarded with the plain
    /// commands around it. Reads only the key of a one-key command; the arguments of others.
    /// </summary>
    public bool MayIntercept(ReadOnlySequence<byte> request, List<byte[]>? inlineArguments)
    {
        if (_takesEveryCall)
        {
            return true;
        }
        if (inlineArguments is null && Spec.SingleKeyIndex is int index)
        {
            if (RequestArguments.Locate(request, index) is not { } key)
            {
                return false;
            }
            return key.IsSingleSegment ? Matches(key.FirstSpan) : Matches(key.ToArray());
        }
        foreach (var key in Spec.Keys(inlineArguments ?? RequestArguments.Read(request)))
        {
            if (Matches(key.Name))
            {
                return true;
            }
        }
        return false;
    }

    private bool Matches(ReadOnlySpan<byte> key)
    {
        foreach (var hook in Hooks)
        {
            if (hook.MatchesKey(key))
            {
                return true;
            }
        }
        foreach (var registration in Linked)
        {
            if (registration.MatchesKey(key))
            {
                return true;
            }
        }
        return false;
    }

    public Registration[] Hooks { get; } = hooks;

    public Registration[] Linked { get; } = linked;

    /// <summary>The hooks that a call with <paramref name="keys"/> goes through, outermost first (empty: none).</summary>
    public Registration[] HooksFor(List<CommandKey> keys) =>
        Hooks.Length == 0 ? [] : [.. Hooks.Where(hook => hook.Request.KeyPrefix is null || keys.Exists(key => hook.MatchesKey(key.Name)))];

    /// <summary>True when some linked registration's prefix takes one of <paramref name="keys"/>.</summary>
    public bool LinksAny(List<CommandKey> keys) =>
        Linked.Length > 0 && keys.Exists(key => Array.Exists(Linked, registration => registration.MatchesKey(key.Name)));

    /// <summary>
    /// The first, cheapest look at a reply, before the call's keys are read: true when the reply
    /// alone shows that nothing fired (the call failed, or it writes nothing a registration wants
    /// and found everything it read). A GET that hits ends here.
    /// </summary>
    public bool NothingFired(ReadOnlySpan<byte> reply) =>
        reply.IsEmpty || reply[0] is (byte)'-' or (byte)'!'
        || (!(_wantsWrites && Spec.Writes) && !IsEmpty(reply) && (Spec.SingleKeyIndex is not null || !HoldsNil(reply)));

    /// <summary>
    /// As <see cref="NothingFired"/>, from the first bytes of the reply as it arrives, for a command
    /// that reads one key and writes nothing a registration wants: its reply's first line decides.
    /// False when that line is not all there, or when the whole reply must be seen.
    /// </summary>
    public bool NothingFiredOnSight(ReadOnlySequence<byte> replyStart)
    {
        if (!_decidedOnSight)
        {
            return false;
        }
        // The first 16 bytes hold the first line of any reply that can be decided here.
        Span<byte> copy = stackalloc byte[16];
        var first = replyStart.FirstSpan;
        ReadOnlySpan<byte> start = copy;
        if (first.Length >= copy.Length || replyStart.IsSingleSegment)
        {
            start = first[..Math.Min(first.Length, copy.Length)];
        }
        else
        {
            start = copy[..(int)Math.Min(replyStart.Length, copy.Length)];
            replyStart.Slice(0, start.Length).CopyTo(copy);
        }
        return start.IndexOf((byte)'\r') > 0 && NothingFired(start);
    }

    /// <summary>
    /// Decided from the reply alone, on the socket thread: whether the call may have fired an event
    /// (false lets the reply through at once). A read "finds nothing" when its reply is empty (nil, an
    /// empty string or collection, 0, a negative number, "none"), or, for a read of several keys, holds
    /// a nil; the keys' absence is then checked. A write fires unless it failed, answered nil, or
    /// answered 0 where 0 means it did nothing (Redis then notifies nothing).
    /// </summary>
    public bool MayHaveFired(ReadOnlySpan<byte> reply, List<CommandKey> keys)
    {
        if (reply.IsEmpty || reply[0] is (byte)'-' or (byte)'!')
        {
            return false;
        }
        var reads = 0;
        var writes = false;
        foreach (var key in keys)
        {
            reads += key.Read ? 1 : 0;
            writes |= key.Written;
        }
        return (_wantsMisses && reads > 0 && (IsEmpty(reply) || (reads > 1 && HoldsNil(reply))))
            || (_wantsWrites && writes && Spec.Writes && !IsNil(reply) && !(reply.StartsWith(":0\r"u8) && KeyEventNames.ZeroMeansNothingDone(Spec.Name)));
    }

    public static bool IsNil(ReadOnlySpan<byte> reply) =>
        reply[0] == (byte)'_' || reply.StartsWith("$-1\r"u8) || reply.StartsWith("*-1\r"u8);

    private static bool IsEmpty(ReadOnlySpan<byte> reply) =>
        IsNil(reply)
        || reply.StartsWith("$0\r"u8) || reply.StartsWith("*0\r"u8) || reply.StartsWith("%0\r"u8) || reply.StartsWith("~0\r"u8)
        || reply.StartsWith(":0\r"u8) || reply.StartsWith(":-"u8) || reply.StartsWith("+none\r"u8);

    // An element of an array reply that is nil (MGET of a missing key). A value that merely contains
    // these bytes only costs a look-up of the keys.
    private static bool HoldsNil(ReadOnlySpan<byte> reply) =>
        reply.IndexOf("\r\n$-1\r\n"u8) >= 0 || reply.IndexOf("\r\n_\r\n"u8) >= 0;
}
