using System.Text;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Gateway;

/// <summary>
/// SharpGears' own RG.* commands, answered by the gateway. The engine registers its commands here;
/// a name nobody registered gets Redis' unknown-command error.
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

    public ValueTask ExecuteAsync(IReadOnlyList<byte[]> arguments, IBufferWriter<byte> reply)
    {
        var name = Encoding.UTF8.GetString(arguments[0]);
        if (_handlers.TryGetValue(name, out var handler))
        {
            return handler(arguments, reply);
        }
        RespWriter.WriteError(reply, UnknownCommand(name, arguments));
        return ValueTask.CompletedTask;
    }

    // Redis' own wording, so that clients that parse it keep working.
    private static string UnknownCommand(string name, IReadOnlyList<byte[]> arguments)
    {
        var text = new StringBuilder($"ERR unknown command '{Truncate(name)}', with args beginning with: ");
        foreach (var argument in arguments.Skip(1))
        {
            text.Append('\'').Append(Truncate(Encoding.UTF8.GetString(argument))).Append("' ");
        }
        return text.ToString();
    }

    private static string Truncate(string text) => text.Length > 128 ? text[..128] : text;
}
