using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using SharpGears.Api;
using SharpGears.Runtime.Backend;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Engine;

/// <summary>
/// SharpGears' own client of the backend, for what scripts <c>Execute</c>: one connection, logged in
/// with the <c>--backend</c> credentials, kept open and reconnected like a shared lane, with the
/// commands of all executions pipelined on it. Each command is a <see cref="PendingCommand"/> that the
/// connection answers directly, in order.
/// </summary>
internal sealed class BackendClient(BackendTarget target, ILogger logger) : IAsyncDisposable
{
    private readonly SharedLane _lane = new(target, logger, authenticate: true);

    public Task<bool> StartAsync(CancellationToken cancellationToken) => _lane.StartAsync(cancellationToken);

    /// <summary>
    /// Runs <paramref name="command"/> with <paramref name="arguments"/> (strings as UTF-8, byte
    /// arrays as they are, numbers in invariant culture) and returns its reply as <see cref="RespValue"/>
    /// describes; an error reply, or a backend that cannot be reached, throws a <see cref="GearsException"/>.
    /// </summary>
    public async Task<object?> ExecuteAsync(string command, params object?[] arguments)
    {
        var request = new ReadOnlySequence<byte>(Encode(command, arguments));
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (await _lane.GetConnectionAsync().ConfigureAwait(false) is not { } connection)
            {
                break;
            }
            var pending = new PendingCommand();
            if (await connection.SendAsync(request, new PendingReply(pending, ReplyKind.Replies, 1)).ConfigureAwait(false))
            {
                return await pending.Result.ConfigureAwait(false);
            }
            // The connection was replaced under us: once more, on the new one.
        }
        throw new GearsException($"SharpGears cannot reach the backend Redis ({_lane.LastError ?? "connection lost"})");
    }

    private static byte[] Encode(string command, object?[] arguments)
    {
        var parts = new List<byte[]>(arguments.Length + 1) { Encoding.UTF8.GetBytes(command) };
        foreach (var argument in arguments)
        {
            parts.Add(argument switch
            {
                null => throw new ArgumentNullException(nameof(arguments), $"an argument of {command} is null"),
                byte[] bytes => bytes,
                string text => Encoding.UTF8.GetBytes(text),
                IFormattable formattable => Encoding.UTF8.GetBytes(formattable.ToString(null, CultureInfo.InvariantCulture)),
                _ => Encoding.UTF8.GetBytes(argument.ToString() ?? ""),
            });
        }
        var buffer = new ArrayBufferWriter<byte>();
        RespWriter.WriteCommand(buffer, parts);
        return buffer.WrittenSpan.ToArray();
    }

    public ValueTask DisposeAsync() => _lane.DisposeAsync();
}
