using System.Text;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Gateway;

/// <summary>
/// SharpGears' own RG.* commands, answered by the gateway. The engine registers its commands here.
/// A name nobody registered is forwarded like any other command, so that the client gets Redis' own
/// unknown-command error (and a MULTI around it is discarded, as Redis does).
/// </summary>
internal sealed class GearsCommands
{
    /// <summary>Handles one RG.* command: <c>arguments[0]</c> is its name; the reply goes to <c>reply</c>.</summary>
    public delegate ValueTask Handler(IReadOnlyList<byte[]> arguments, IBufferWriter<byte> reply);

    private readonly Dictionary<string, Handler> _handlers = new(StringComparer.OrdinalIgnoreCase);

    public GearsCommands()
    {
        Register("RG.PYEXECUTE", static (_, reply) =>
        {
            RespWriter.WriteError(reply, "ERR SharpGears runs C#, not Python: send the script with RG.CSEXECUTE \"<C# code>\" (same arguments as RG.PYEXECUTE)");
            return ValueTask.CompletedTask;
        });
    }

    public void Register(string name, Handler handler) => _handlers[name] = handler;

    /// <summary>True when a handler answers the command <paramref name="name"/>.</summary>
    public bool IsRegistered(ReadOnlySpan<byte> name) => _handlers.ContainsKey(Encoding.UTF8.GetString(name));

    /// <summary>Runs a registered command (see <see cref="IsRegistered"/>).</summary>
    public ValueTask ExecuteAsync(IReadOnlyList<byte[]> arguments, IBufferWriter<byte> reply) =>
        _handlers[Encoding.UTF8.GetString(arguments[0])](arguments, reply);
}
