using SharpGears.Runtime.Engine.Registrations;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Engine.Linking;

/// <summary>Where a hook chain ends: the hooked client's backend connection, which runs the real command.</summary>
internal interface IHookedClient
{
    /// <summary>Runs <paramref name="command"/> with <paramref name="arguments"/> as the client would; returns the reply frame.</summary>
    Task<byte[]> ForwardAsync(string command, object?[] arguments);

    /// <summary>True when the client speaks RESP3 (HELLO 3): replies made for it use RESP3's types.</summary>
    bool Resp3 { get; }
}

/// <summary>
/// One hook's execution in a chain: what <c>CallNext</c> reaches from it (the next hook, or at the end
/// the command itself), and the raw replies CallNext returned, so that a hook that passes one on
/// gives the client exactly what Redis sent (a status stays a status, binary stays binary).
/// </summary>
internal sealed class HookCall(GearsEngine engine, Registration[] chain, int index, string command, IHookedClient client)
{
    // What each CallNext returned, and the reply it came from (a hook may call it more than once).
    private readonly List<(object? Value, byte[] Reply)> _replies = [];

    public async Task<object?> CallNextAsync(object?[] arguments)
    {
        var reply = await engine.RunHookChainAsync(chain, index + 1, command, arguments, client).ConfigureAwait(false);
        var value = RespValue.Read(new ReadOnlySequence<byte>(reply)); // an error reply throws, as Execute's do
        lock (_replies)
        {
            _replies.Add((value, reply));
        }
        return value;
    }

    /// <summary>The client's reply for the hook's results (one: itself; none: nil; more: an array).</summary>
    public byte[] Reply(List<object?> results)
    {
        lock (_replies)
        {
            if (results.Count == 1 && _replies.FindLast(r => ReferenceEquals(r.Value, results[0])) is { Reply: { } reply })
            {
                return reply;
            }
        }
        return ScriptReply.Encode(results.Count switch
        {
            0 => null,
            1 => results[0],
            _ => results,
        }, client.Resp3);
    }
}
