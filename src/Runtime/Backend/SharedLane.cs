using Microsoft.Extensions.Logging;

namespace SharpGears.Runtime.Backend;

/// <summary>
/// One shared backend connection, kept open: when it is lost it is reconnected in the background,
/// and meanwhile <see cref="Connection"/> is null so that clients get an error at once, never a hang.
/// </summary>
internal sealed partial class SharedLane(BackendTarget target, ILogger logger) : IAsyncDisposable
{
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(1);
    private readonly CancellationTokenSource _stopping = new();
    private BackendConnection? _connection;
    private int _reconnecting;

    /// <summary>The live connection, or null while the backend is unreachable.</summary>
    public BackendConnection? Connection
    {
        get
        {
            var connection = Volatile.Read(ref _connection);
            if (connection is { IsFailed: false })
            {
                return connection;
            }
            Reconnect();
            return null;
        }
    }

    /// <summary>The most recent reason the backend could not be reached.</summary>
    public string? LastError { get; private set; }

    /// <summary>Connects for the first time; false (and reconnecting in the background) if it cannot.</summary>
    public async Task<bool> StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            Volatile.Write(ref _connection, await BackendConnection.ConnectAsync(target, null, logger, OnFailed, cancellationToken));
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LastError = e.Message;
            Reconnect();
            return false;
        }
    }

    private void OnFailed(BackendConnection connection)
    {
        if (!_stopping.IsCancellationRequested)
        {
            Reconnect();
        }
    }

    private void Reconnect()
    {
        if (!_stopping.IsCancellationRequested && Interlocked.CompareExchange(ref _reconnecting, 1, 0) == 0)
        {
            _ = ReconnectLoopAsync();
        }
    }

    private async Task ReconnectLoopAsync()
    {
        var delay = TimeSpan.FromMilliseconds(50);
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                await Task.Delay(delay, _stopping.Token);
                try
                {
                    var connection = await BackendConnection.ConnectAsync(target, null, logger, OnFailed, _stopping.Token);
                    Volatile.Write(ref _connection, connection);
                    LogReconnected(logger, target.ToString());
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LastError = e.Message;
                    delay = TimeSpan.FromTicks(Math.Min(s_maxBackoff.Ticks, delay.Ticks * 2));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Volatile.Write(ref _reconnecting, 0);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (Volatile.Read(ref _connection) is { } connection)
        {
            await connection.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconnected to the backend Redis at {Target}")]
    private static partial void LogReconnected(ILogger logger, string target);
}
