using SharpGears.Api;

namespace SharpGears.Runtime.Engine.Linking;

/// <summary>
/// A client command that executions are linked to: the client's reply is held until they have all
/// finished, and the first of them to call <c>OverrideReply</c> decides what it gets instead.
/// </summary>
internal sealed class ClientLink(string command)
{
    private byte[]? _reply;

    /// <summary>The overriding reply in RESP, or null to send the command's own.</summary>
    public byte[]? Reply => Volatile.Read(ref _reply);

    public void Override(object? value)
    {
        var encoded = ScriptReply.Encode(value);
        if (Interlocked.CompareExchange(ref _reply, encoded, null) is not null)
        {
            throw new GearsException($"OverrideReply was already called for this {command}: only the first call sets the client's reply");
        }
    }
}
