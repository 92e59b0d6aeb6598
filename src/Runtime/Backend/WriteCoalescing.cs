namespace SharpGears.Runtime.Backend;

/// <summary>How a shared connection gathers the requests that find replies still outstanding.</summary>
internal enum WriteCoalescing
{
    /// <summary>
    /// They wait for the receive loop, which sends everything gathered after its next read of replies.
    /// So the backend gets the requests of many clients per read, as behind twemproxy, without a thread
    /// hop: on a 2-core machine the backend's per-read cost and the gateway's wake-ups are what limit a
    /// proxy's throughput. The gateway's lanes, which carry its clients' independent commands.
    /// </summary>
    PacedByReplies,

    /// <summary>
    /// They go out as soon as a pool thread can write them, with whatever else came in meanwhile. For
    /// the engine's own client, whose callers chain their commands (a stream's read, then the batch's
    /// writes, then its XACK): waiting for a reply before the next request goes out would add a round
    /// trip to every link of the chain, and leave Redis idle meanwhile.
    /// </summary>
    Prompt,
}
