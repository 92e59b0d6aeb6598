using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Backend;

/// <summary>What a backend connection expects back for requests it has sent, in order.</summary>
internal enum ReplyKind
{
    /// <summary><see cref="PendingReply.Count"/> ordinary replies.</summary>
    Replies,

    /// <summary>A (P|S)(UN)SUBSCRIBE: one confirmation per channel; Count -1 means "all of them".</summary>
    Subscription,

    /// <summary>MONITOR: after its +OK every frame is a monitor line.</summary>
    Monitor,

    /// <summary>MULTI: a +OK opens a transaction, in which commands are queued, not run.</summary>
    Multi,

    /// <summary>EXEC or DISCARD: the transaction, if any, is over.</summary>
    EndTransaction,

    /// <summary>RESET: clears what the connection tracked about subscriptions and MONITOR.</summary>
    Reset,

    /// <summary>HELLO: its reply tells which protocol the connection now speaks.</summary>
    Hello,
}

/// <summary>
/// One entry of a backend connection's queue of expected replies. <paramref name="Target"/> is the
/// client to pass them to, or null for the gateway's own requests, whose replies are dropped.
/// <paramref name="Silent"/> replies are dropped too, but their target still learns they arrived.
/// </summary>
internal readonly record struct PendingReply(IReplySink? Target, ReplyKind Kind, int Count, SubscriptionFamily Family = default, bool Silent = false);
