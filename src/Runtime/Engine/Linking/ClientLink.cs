using SharpGears.Api;

namespace SharpGears.Runtime.Engine.Linking;

/// <summary>
/// A client command that executions are linked to: the client's reply is held until they have all
/// finished, and the first of them to call <c>OverrideReply</c> decides what it gets instead.
/// </summary>
internal sealed class ClientLink(string command)
{
    private const int Open = 0, Claimed = 1, Set = 2;
    private int _state;
    private object? _value;

    public void Override(object? value)
    {
        if (Interlocked.CompareExchange(ref _state, Claimed, Open) != Open)
        {
            throw new GearsException($"OverrideReply was already called for this {command}: only the first call sets the client's reply");
        }
        _value = value;
        Volatile.Write(ref _state, Set);
    }

    /// <summary>The overriding reply in the client's protocol, or null to send the command's own.</summary>
    public byte[]? Reply(bool resp3) => Volatile.Read(ref _state) == Set ? ScriptReply.Encode(_value, resp3) : null;
}
