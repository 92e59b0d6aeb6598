using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using SharpGears.Runtime.Backend;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Engine.KeyEvents;

/// <summary>
/// Listens to the backend's keyevent notifications (<c>__keyevent@db__:event</c>) on a connection of
/// its own, logged in with the <c>--backend</c> credentials, and hands each event to the dispatcher.
/// It subscribes only to the events registrations want (a pattern for those that want them all), and
/// subscribes again whenever it reconnects, after telling the engine so that it can enable the
/// notifications again (a restarted backend has forgotten them).
/// </summary>
/// <remarks>
/// It reads on a thread of its own with blocking reads: the dispatch that follows each read may be
/// slow (sync registrations), and it must never run on the threads that serve the gateway's sockets.
/// </remarks>
internal sealed partial class KeyspaceSubscriber : IDisposable
{
    private static readonly TimeSpan s_confirmationWait = TimeSpan.FromSeconds(5);
    private readonly BackendTarget _target;
    private readonly ILogger _logger;
    private readonly Action<string, string> _onEvent;
    private readonly Func<Task> _onConnected;
    private readonly string _channelPrefix;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();

    // What registrations want, and what the current connection was asked for; guarded by _lock.
    private readonly HashSet<string> _wanted = [];
    private readonly HashSet<string> _subscribed = [];
    private readonly Dictionary<string, TaskCompletionSource> _confirmations = [];
    private BlockingConnection? _connection;
    private Thread? _thread;

    public KeyspaceSubscriber(BackendTarget target, ILogger logger, Action<string, string> onEvent, Func<Task> onConnected)
    {
        _target = target;
        _logger = logger;
        _onEvent = onEvent;
        _onConnected = onConnected;
        _channelPrefix = $"__keyevent@{target.Database}__:";
    }

    /// <summary>The pattern that stands for every event.</summary>
    public const string AllEvents = "*";

    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes the first time the subscriber is connected and ready to subscribe.</summary>
    public Task Connected => _connected.Task;

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "SharpGears keyspace subscriber" };
        _thread.Start();
    }

    /// <summary>
    /// Listens to exactly <paramref name="eventNames"/> from now on (<see cref="AllEvents"/> for all)
    /// and waits, briefly, until Redis has confirmed the new subscriptions, so that a write made right
    /// after a registration returns fires it. While the backend is unreachable it does not wait: the
    /// subscriptions are made when it comes back.
    /// </summary>
    public async Task ListenAsync(IReadOnlyCollection<string> eventNames)
    {
        List<Task> confirmations = [];
        lock (_lock)
        {
            _wanted.Clear();
            _wanted.UnionWith(eventNames);
            if (_connection is { } connection)
            {
                confirmations = Reconcile(connection);
            }
        }
        try
        {
            await Task.WhenAll(confirmations).WaitAsync(s_confirmationWait);
        }
        catch (TimeoutException)
        {
            LogUnconfirmed(_logger);
        }
    }

    // Sends what changed between _wanted and _subscribed; returns the confirmations to wait for.
    private List<Task> Reconcile(BlockingConnection connection)
    {
        var added = _wanted.Except(_subscribed).ToList();
        var removed = _subscribed.Except(_wanted).ToList();
        var confirmations = new List<Task>();
        var request = new ArrayBufferWriter<byte>();
        foreach (var name in added)
        {
            var confirmation = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _confirmations[ChannelOf(name)] = confirmation;
            confirmations.Add(confirmation.Task);
            RespWriter.WriteCommand(request, [Encoding.UTF8.GetBytes(name == AllEvents ? "PSUBSCRIBE" : "SUBSCRIBE"), Encoding.UTF8.GetBytes(ChannelOf(name))]);
        }
        foreach (var name in removed)
        {
            RespWriter.WriteCommand(request, [Encoding.UTF8.GetBytes(name == AllEvents ? "PUNSUBSCRIBE" : "UNSUBSCRIBE"), Encoding.UTF8.GetBytes(ChannelOf(name))]);
        }
        _subscribed.Clear();
        _subscribed.UnionWith(_wanted);
        if (request.WrittenCount > 0)
        {
            try
            {
                connection.Send(request.WrittenSpan);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The read loop notices too, reconnects and subscribes again.
            }
        }
        return confirmations;
    }

    private string ChannelOf(string eventName) => _channelPrefix + eventName;

    private void Run()
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        var wasConnected = true;
        while (!_stopping.IsCancellationRequested)
        {
            BlockingConnection? connection = null;
            try
            {
                connection = BlockingConnection.Connect(_target, "sharpgears-events", selectDatabase: false, Timeout.InfiniteTimeSpan, _stopping.Token);
                // Notifications first, then subscriptions: a backend that restarted has lost both.
                _onConnected().GetAwaiter().GetResult();
                lock (_lock)
                {
                    _subscribed.Clear();
                    Volatile.Write(ref _connection, connection);
                    Reconcile(connection);
                }
                _connected.TrySetResult();
                if (!wasConnected)
                {
                    LogReconnected(_logger);
                }
                wasConnected = true;
                backoff = TimeSpan.FromMilliseconds(100);
                while (connection.ReadFrame() is { } frame)
                {
                    Handle(frame);
                }
                throw new IOException("the backend closed the connection");
            }
            catch (Exception e) when (!_stopping.IsCancellationRequested)
            {
                if (wasConnected)
                {
                    LogDisconnected(_logger, e.Message);
                }
                wasConnected = false;
            }
            catch
            {
                // stopping
            }
            finally
            {
                lock (_lock)
                {
                    if (_connection == connection)
                    {
                        Volatile.Write(ref _connection, null);
                    }
                }
                connection?.Dispose();
            }
            _stopping.Token.WaitHandle.WaitOne(backoff);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
        }
    }

    private void Handle(ReadOnlySequence<byte> frame)
    {
        if (RespValue.Read(frame) is not object?[] { Length: >= 3 } parts || parts[0] is not string kind)
        {
            return;
        }
        switch (kind)
        {
            case "message" when parts[1] is string channel && parts[2] is string key:
                Dispatch(channel, key);
                break;
            case "pmessage" when parts.Length >= 4 && parts[2] is string channel && parts[3] is string key:
                Dispatch(channel, key);
                break;
            case "subscribe" or "psubscribe" when parts[1] is string channel:
                TaskCompletionSource? confirmation;
                lock (_lock)
                {
                    _confirmations.Remove(channel, out confirmation);
                }
                confirmation?.TrySetResult();
                break;
        }
    }

    private void Dispatch(string channel, string key)
    {
        if (channel.StartsWith(_channelPrefix, StringComparison.Ordinal))
        {
            _onEvent(channel[_channelPrefix.Length..], key);
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        lock (_lock)
        {
            _connection?.Dispose();
        }
        _thread?.Join(TimeSpan.FromSeconds(5));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the keyspace notifications of the backend ({Reason}); reconnecting. Events that happen until then are not seen (as in RedisGears)")]
    private static partial void LogDisconnected(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening to the backend's keyspace notifications again")]
    private static partial void LogReconnected(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis did not confirm the keyspace subscriptions within 5 s; registrations fire once it does")]
    private static partial void LogUnconfirmed(ILogger logger);
}
