namespace SharpGears.Runtime.Gateway;

/// <summary>How the gateway must treat a command before forwarding it.</summary>
internal enum CommandKind : byte
{
    /// <summary>Stateless: may share a backend connection with other clients.</summary>
    Plain,

    /// <summary>Holds or reads connection state: needs the client's own backend connection.</summary>
    Pinning,

    /// <summary>CLIENT: pinning, and CLIENT REPLY changes which commands get replies.</summary>
    Client,

    /// <summary>A (P|S)SUBSCRIBE or (P|S)UNSUBSCRIBE: answered by one confirmation per channel.</summary>
    Subscription,

    /// <summary>MONITOR: the connection becomes a stream of monitor lines.</summary>
    Monitor,

    /// <summary>RESET: the connection returns to its initial state.</summary>
    Reset,

    /// <summary>HELLO: pinning, and may switch the connection between RESP2 and RESP3.</summary>
    Hello,

    /// <summary>MULTI: pinning; the connection notes when a transaction is open.</summary>
    Multi,

    /// <summary>EXEC or DISCARD: ends a transaction (plain when the client has none to end).</summary>
    EndTransaction,

    /// <summary>CONFIG or ACL: plain, but it may change who must authenticate.</summary>
    Admin,

    /// <summary>QUIT: answered by the gateway, which then closes the connection.</summary>
    Quit,

    /// <summary>RG.*: SharpGears' own commands, answered by the gateway.</summary>
    Gears,

    /// <summary>Hooked, or named in a registration's <c>commands</c>: see ClientSession.Linking.</summary>
    Intercepted,
}
