using Microsoft.Extensions.Logging;

namespace SharpGears.Runtime.Backend;

/// <summary>
/// One shared backend connection, kept open: when it is lost it is reconnected in the background
/// (at once, then backing off), and a request that finds it down waits briefly for that attempt, so an
/// idle connection closed by Redis' own <c>timeout</c> costs nobody an error. While the backend stays
/// unreachable, requests get an error at once, never a hang.
/// </summary>
internal sealed partial class SharedLane(
    BackendTarget target, ILogger logger, bool authenticate = false, string? clientName = null, WriteCoalescing coalescing = WriteCoalescing.PacedByReplies)
    : IAsyncDisposable
{
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_maxWait = TimeSpan.FromMilliseconds(250);
    private readonly CancellationTokenSource _stopping = new();
    private BackendConnection? _connection;
    private int _reconnecting;

    // Completed (and replaced) after every reconnection attempt, with the connection or null.
    private TaskCompletionSource<BackendConnection?> _attempted = NewAttempt();

    /// <summary>The most recent reason the backend could not be reached.</summary>
    public string? LastError { get; private set; }

    /// <summary>The live connection; null, after at most one reconnection attempt, while the backend is unreachable.</summary>
    public ValueTask<BackendConnection?> GetConnectionAsync()
    {
        var connection = Volatile.Read(ref _connection);
        if (connection is { IsFailed: false })
        {
            return ValueTask.FromResult<BackendConnection?>(connection);
        }
        var attempt = Volatile.Read(ref _attempted).Task;
        Reconnect();
        return new ValueTask<BackendConnection?>(WaitAsync(attempt));

        static async Task<BackendConnection?> WaitAsync(Task<BackendConnection?> attempt)
        {
            try
            {
                return await attempt.WaitAsync(s_maxWait);
            }
            catch (TimeoutException)
            {
                return null;
            }
        }
    }

    /// <summary>Connects for the first time; false (and reconnecting in the background) if it cannot.</summary>
    public async Task<bool> StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            Volatile.Write(ref _connection, await BackendConnection.ConnectAsync(target, null, logger, OnFailed, cancellationToken, authenticate, clientName, coalescing));
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LastError = e.Message;
            Reconnect();
            return false;
        }
    }

    /// <summary>
    /// Replaces the connection with a new one: a connection keeps the rights it had when it was
    /// opened, even after the backend starts requiring a password. The old one takes no new requests
    /// and closes once the replies it owes have arrived.
    /// </summary>
    public void Recycle()
    {
        Interlocked.Exchange(ref _connection, null)?.Retire();
        Reconnect();
    }

    private void OnFailed(BackendConnection connection)
    {
        _ = connection.DisposeAsync(); // its socket; it is never used again
        // Only the lane's current connection is replaced; a retired one is already.
        if (Interlocked.CompareExchange(ref _connection, null, connection) == connection && !_stopping.IsCancellationRequested)
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
        var delay = TimeSpan.Zero;
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                await Task.Delay(delay, _stopping.Token);
                BackendConnection? connection = null;
                try
                {
                    connection = await BackendConnection.ConnectAsync(target, null, logger, OnFailed, _stopping.Token, authenticate, clientName, coalescing);
                    var current = Volatile.Read(ref _connection);
                    if (current is { IsFailed: false } || Interlocked.CompareExchange(ref _connection, connection, current) != current)
                    {
                        // Another connection got there first: one live connection per lane.
                        await connection.DisposeAsync();
                        connection = Volatile.Read(ref _connection);
                        return;
                    }
                    LogReconnected(logger, target.ToString());
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LastError = e.Message;
                    delay = TimeSpan.FromTicks(Math.Clamp(delay.Ticks * 2, TimeSpan.FromMilliseconds(50).Ticks, s_maxBackoff.Ticks));
                }
                finally
                {
                    Interlocked.Exchange(ref _attempted, NewAttempt()).TrySetResult(connection);
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

    private static TaskCompletionSource<BackendConnection?> NewAttempt() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (Volatile.Read(ref _connection) is { } connection)
        {
            await connection.DisposeAsync();
        }
        _attempted.TrySetResult(null);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to the backend Redis at {Target}")]
    private static partial void LogReconnected(ILogger logger, string target);
}
