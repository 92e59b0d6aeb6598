namespace SharpGears.Api;

/// <summary>Where and when a registration's execution runs, as RedisGears' <c>mode</c> argument.</summary>
public enum ExecutionMode
{
    /// <summary>Inline on the event, in event order, before the linked client is answered.</summary>
    Sync,

    /// <summary>On the execution pool; on one node the same as <see cref="AsyncLocal"/>.</summary>
    Async,

    /// <summary>On this node's execution pool.</summary>
    AsyncLocal,
}
