using System.Text;
using Microsoft.Extensions.Logging;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Gateway;

/// <summary>
/// SharpGears' own RG.* commands, answered by the gateway. The engine registers its commands here.
/// A name nobody registered is forwarded like any other command, so that the client gets Redis' own
/// unknown-command error (and a MULTI around it is discarded, as Redis does).
/// </summary>
internal sealed partial class GearsCommands
{
    /// <summary>Handles one RG.* command; the reply goes to <see cref="GearsRequest.Reply"/>.</summary>
    public delegate ValueTask Handler(GearsRequest request);

    private readonly Dictionary<string, (GearsPermission Permission, Handler Handler)> _handlers = new(StringComparer.OrdinalIgnoreCase);

    private readonly ILogger _logger;

    public GearsCommands(ILogger<GearsCommands> logger)
    {
        _logger = logger;
        Register("RG.PYEXECUTE", GearsPermission.Read, static request =>
        {
            request.WriteError("ERR SharpGears runs C#, not Python: send the script with RG.CSEXECUTE \"<C# code>\" (same arguments as RG.PYEXECUTE)");
            return ValueTask.CompletedTask;
        });
    }

    public void Register(string name, GearsPermission permission, Handler handler) => _handlers[name] = (permission, handler);

    /// <summary>True when a handler answers the command <paramref name="name"/>.</summary>
    public bool IsRegistered(ReadOnlySpan<byte> name) => _handlers.ContainsKey(Encoding.UTF8.GetString(name));

    /// <summary>What a client must be allowed to do to run the registered command <paramref name="name"/>.</summary>
    public GearsPermission PermissionOf(byte[] name) => _handlers[Encoding.UTF8.GetString(name)].Permission;

    /// <summary>Runs a registered command (see <see cref="IsRegistered"/>); the caller has checked the permission.</summary>
    public async ValueTask ExecuteAsync(GearsRequest request)
    {
        try
        {
            await _handlers[request.Name].Handler(request);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug of a handler must not end the client's session: it gets the error instead, and
            // the log keeps the stack trace the one-line reply cannot carry.
            LogHandlerFailed(_logger, e, request.Name);
            request.WriteError($"ERR {request.Name} failed: {e.GetType().Name}: {e.Message}");
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Command} failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string command);
}

/// <summary>What an RG.* command requires of the client that sends it.</summary>
internal enum GearsPermission
{
    /// <summary>Looking: a connection the backend accepts (authenticated, when it requires AUTH).</summary>
    Read,

    /// <summary>
    /// Submitting code or changing the engine: scripts run with the gateway's rights, so the client's
    /// backend user must be allowed every @dangerous command.
    /// </summary>
    Admin,
}

/// <summary>One RG.* command as its handler gets it.</summary>
internal sealed class GearsRequest(IReadOnlyList<byte[]> arguments, IBufferWriter<byte> reply, IGearsClient client)
{
    public IReadOnlyList<byte[]> Arguments { get; } = arguments;

    public IBufferWriter<byte> Reply { get; } = reply;

    public IGearsClient Client { get; } = client;

    /// <summary>The command's name as the client spelled it.</summary>
    public string Name => Encoding.UTF8.GetString(Arguments[0]);

    /// <summary>Argument <paramref name="index"/> (0 is the name) as UTF-8 text.</summary>
    public string this[int index] => Encoding.UTF8.GetString(Arguments[index]);

    public int Count => Arguments.Count;

    /// <summary>An error reply; line breaks in <paramref name="message"/> become spaces (RESP errors are one line).</summary>
    public void WriteError(string message) => RespWriter.WriteError(Reply, message.ReplaceLineEndings(" "));

    /// <summary>Redis' own error for a wrong number of arguments.</summary>
    public void WriteArityError() => WriteError($"ERR wrong number of arguments for '{Name.ToLowerInvariant()}' command");
}

/// <summary>The client an RG.* command came from, as far as authorization needs it.</summary>
internal interface IGearsClient
{
    /// <summary>
    /// Runs <paramref name="command"/> on the client's own backend connection, with the client's
    /// rights; null when the client has none (it shares the gateway's unauthenticated connections).
    /// </summary>
    Task<object?>? AskOwnConnection(params string[] command);
}
