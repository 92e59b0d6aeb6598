using System.Collections.Frozen;
using System.Text;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Gateway;

/// <summary>
/// Identifies commands by their name bytes in O(1) without allocating. Only the commands the gateway
/// must treat specially are listed; every other command (including ones Redis adds later and module
/// commands) is <see cref="CommandKind.Plain"/> and forwarded untouched.
/// </summary>
internal static class CommandTable
{
    private static readonly FrozenDictionary<string, CommandKind> s_kinds = new Dictionary<string, CommandKind>
    {
        // Connection state: database, user, protocol, transactions, cluster routing, replication.
        ["select"] = CommandKind.Pinning,
        ["auth"] = CommandKind.Pinning,
        ["hello"] = CommandKind.Hello,
        ["multi"] = CommandKind.Multi,
        ["exec"] = CommandKind.EndTransaction,
        ["discard"] = CommandKind.EndTransaction,
        ["watch"] = CommandKind.Pinning,
        ["readonly"] = CommandKind.Pinning,
        ["readwrite"] = CommandKind.Pinning,
        ["asking"] = CommandKind.Pinning,
        ["sync"] = CommandKind.Pinning,
        ["psync"] = CommandKind.Pinning,
        ["replconf"] = CommandKind.Pinning,
        // Blocking commands: they would stall everyone sharing the connection.
        ["blpop"] = CommandKind.Pinning,
        ["brpop"] = CommandKind.Pinning,
        ["brpoplpush"] = CommandKind.Pinning,
        ["blmove"] = CommandKind.Pinning,
        ["blmpop"] = CommandKind.Pinning,
        ["bzpopmin"] = CommandKind.Pinning,
        ["bzpopmax"] = CommandKind.Pinning,
        ["bzmpop"] = CommandKind.Pinning,
        ["xread"] = CommandKind.Pinning,
        ["xreadgroup"] = CommandKind.Pinning,
        ["wait"] = CommandKind.Pinning,
        ["waitaof"] = CommandKind.Pinning,
        ["client"] = CommandKind.Client,
        ["config"] = CommandKind.Admin,
        ["acl"] = CommandKind.Admin,
        ["subscribe"] = CommandKind.Subscription,
        ["psubscribe"] = CommandKind.Subscription,
        ["ssubscribe"] = CommandKind.Subscription,
        ["unsubscribe"] = CommandKind.Subscription,
        ["punsubscribe"] = CommandKind.Subscription,
        ["sunsubscribe"] = CommandKind.Subscription,
        ["monitor"] = CommandKind.Monitor,
        ["reset"] = CommandKind.Reset,
        ["quit"] = CommandKind.Quit,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenDictionary<string, CommandKind>.AlternateLookup<ReadOnlySpan<char>> s_lookup =
        s_kinds.GetAlternateLookup<ReadOnlySpan<char>>();

    public static CommandKind Classify(in CommandName name)
    {
        if (name.IsTooLong)
        {
            return CommandKind.Plain;
        }
        if (name.StartsWithIgnoreCase("rg."u8))
        {
            return CommandKind.Gears;
        }
        Span<char> chars = stackalloc char[CommandName.MaxLength];
        var bytes = name.Span;
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[i] = (char)bytes[i];
        }
        return s_lookup.TryGetValue(chars[..bytes.Length], out var kind) ? kind : CommandKind.Plain;
    }

    /// <summary>
    /// True for commands the gateway treats itself (connection state, transactions, blocking,
    /// pub/sub, RG.*): they cannot be hooked or linked, because they are never forwarded as plain ones.
    /// </summary>
    public static bool IsGatewayHandled(string name) =>
        name.StartsWith("rg.", StringComparison.OrdinalIgnoreCase) || s_kinds.ContainsKey(name);

    /// <summary>The family and direction of a <see cref="CommandKind.Subscription"/> command.</summary>
    public static (SubscriptionFamily Family, bool Subscribe) Subscription(in CommandName name)
    {
        var text = name.Span;
        foreach (var (command, family, subscribe) in s_subscriptions)
        {
            if (Ascii.EqualsIgnoreCase(text, command))
            {
                return (family, subscribe);
            }
        }
        throw new ArgumentException("not a subscription command", nameof(name));
    }

    private static readonly (byte[] Name, SubscriptionFamily Family, bool Subscribe)[] s_subscriptions =
    [
        ("subscribe"u8.ToArray(), SubscriptionFamily.Channel, true),
        ("unsubscribe"u8.ToArray(), SubscriptionFamily.Channel, false),
        ("psubscribe"u8.ToArray(), SubscriptionFamily.Pattern, true),
        ("punsubscribe"u8.ToArray(), SubscriptionFamily.Pattern, false),
        ("ssubscribe"u8.ToArray(), SubscriptionFamily.Shard, true),
        ("sunsubscribe"u8.ToArray(), SubscriptionFamily.Shard, false),
    ];
}
