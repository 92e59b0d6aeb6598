using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Backend;

internal sealed partial class BackendConnection
{
    private readonly ReplyWalker _walker = new();
    private readonly ReplyWalker _probe = new();
    private readonly List<IReplySink> _touched = [];

    // The reply at the head of the queue, while it is being answered.
    private PendingReply _head;
    private bool _hasHead;
    private int _headRemaining;
    // The head's target when it routes frame by frame (a batch with linked commands), looked up once per head.
    private IFrameRouter? _headRouter;

    // Where the frame being walked goes: to the head (as a reply) or to the owner (as a push).
    private bool _frameIsReply;
    private IReplySink? _frameTarget;
    // The router, when the frame being walked goes to the router itself.
    private IFrameRouter? _frameRouter;
    private bool _frameEmitted;
    private byte _frameType;
    private bool _loggedUnexpectedFrame;
    private bool _frameIsConfirmation;

    // What a private connection knows of its own state, from the frames it has seen.
    private readonly HashSet<string>[] _subscriptions = [new(), new(), new()];
    private bool _monitoring;
    private bool _resp3;
    private bool _inTransaction;

    /// <summary>
    /// True when Redis would run a CLIENT REPLY sent now rather than queue it (MULTI) or refuse it
    /// (RESP2 subscribed mode). Read by the owner once its replies have all arrived.
    /// </summary>
    public bool RunsClientReply => !Volatile.Read(ref _inTransaction) && (_resp3 || SubscriptionCount == 0);

    /// <summary>True after MONITOR succeeded on this connection, until RESET.</summary>
    public bool IsMonitoring => Volatile.Read(ref _monitoring);

    /// <summary>True once HELLO 3 switched the connection to RESP3.</summary>
    public bool IsResp3 => Volatile.Read(ref _resp3);

    private async Task ReceiveLoopAsync()
    {
        Exception? failure = null;
        var input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                var consumed = ProcessReplies(buffer);
                SendGathered();
                input.AdvanceTo(consumed, buffer.End);
                if (_owner is not null)
                {
                    // A private connection reads no faster than its client takes the replies: a large
                    // reply waits in the backend, as it would for a client connected to Redis itself.
                    await _owner.OutputDrained.ConfigureAwait(false);
                }
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidDataException or OperationCanceledException)
        {
            failure = e;
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
            Fail(failure);
        }
    }

    private SequencePosition ProcessReplies(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        var runStart = reader.Position;
        var frameStart = reader.Position;
        IReplySink? runTarget = null;
        try
        {
            return ProcessReplies(buffer, ref reader, ref runStart, ref frameStart, ref runTarget);
        }
        catch (InvalidDataException)
        {
            // Whole frames before the bad one still reach their clients; the rest become errors.
            Emit(runTarget, buffer.Slice(runStart, frameStart));
            throw;
        }
        finally
        {
            FlushTouched();
        }
    }

    private SequencePosition ProcessReplies(
        ReadOnlySequence<byte> buffer, ref SequenceReader<byte> reader, ref SequencePosition runStart, ref SequencePosition frameStart, ref IReplySink? runTarget)
    {
        while (!reader.End)
        {
            if (!_walker.InFrame)
            {
                frameStart = reader.Position;
                if (!BeginFrame(reader.UnreadSequence))
                {
                    break;
                }
            }
            if (_frameTarget != runTarget)
            {
                Emit(runTarget, buffer.Slice(runStart, reader.Position));
                runStart = reader.Position;
                runTarget = _frameTarget;
            }
            var complete = _walker.Advance(ref reader);
            _frameEmitted = true;
            if (!complete)
            {
                break;
            }
            _frameEmitted = false;
            if (_frameRouter is { } router)
            {
                // Routed to the router itself: its bytes go to it alone, before it learns they are all there.
                Emit(runTarget, buffer.Slice(runStart, reader.Position));
                runStart = reader.Position;
                if (router.FrameDone())
                {
                    _touched.Add(router);
                }
            }
            if (_frameIsReply && HeadFrameDone() is { } finished)
            {
                // The reply bytes must be in the client's output before it learns that they are.
                Emit(runTarget, buffer.Slice(runStart, reader.Position));
                runStart = reader.Position;
                finished.Target?.OnRepliesDelivered();
            }
        }
        Emit(runTarget, buffer.Slice(runStart, reader.Position));
        return reader.Position;
    }

    // Decides where the frame starting here goes. False when more input is needed to decide.
    private bool BeginFrame(ReadOnlySequence<byte> frame)
    {
        if (!_hasHead)
        {
            lock (_pending)
            {
                _hasHead = _pending.TryPeek(out _head);
            }
            _headRouter = _hasHead ? _head.Target as IFrameRouter : null;
            if (_hasHead)
            {
                _headRemaining = _head is { Kind: ReplyKind.Subscription, Count: < 0 }
                    ? Math.Max(1, _subscriptions[(int)_head.Family].Count)
                    : _head.Count;
            }
        }

        var isReply = true;
        var type = frame.FirstSpan[0];
        _frameType = type;
        _frameIsConfirmation = false;
        if (_monitoring)
        {
            if (_hasHead && _head.Kind == ReplyKind.Reset && type == (byte)'+' && frame.PositionOf((byte)'\n') is null)
            {
                return false; // its first line is not all here: cannot yet tell a monitor line from RESET's answer
            }
            isReply = _hasHead && _head.Kind == ReplyKind.Reset
                && (StartsWith(frame, "+RESET\r\n"u8) || (_head.Silent && StartsWith(frame, "+PONG\r\n"u8)));
        }
        else if (type == (byte)'>' || (type == (byte)'*' && !_resp3 && (SubscriptionCount > 0 || _head.Kind == ReplyKind.Subscription)))
        {
            if (!PubSubFrame.TryClassify(frame, out var kind, out var family, out var subscribe))
            {
                return false;
            }
            if (kind == PubSubFrameKind.Confirmation && _hasHead && _head.Kind == ReplyKind.Subscription && _head.Family == family)
            {
                // Confirmations are small: wait for the whole frame, then note what it changed.
                var probe = new SequenceReader<byte>(frame);
                _probe.Reset();
                if (!_probe.Advance(ref probe))
                {
                    return false;
                }
                _frameIsConfirmation = true;
                var channel = PubSubFrame.ReadChannel(frame);
                if (channel is not null)
                {
                    _ = subscribe ? _subscriptions[(int)family].Add(channel) : _subscriptions[(int)family].Remove(channel);
                }
            }
            else if (type == (byte)'>' || kind == PubSubFrameKind.Message)
            {
                isReply = false;
            }
        }

        if (isReply && !_hasHead)
        {
            // A reply nobody asked for: only a private connection's owner can make sense of it.
            if (!_loggedUnexpectedFrame)
            {
                _loggedUnexpectedFrame = true;
                LogUnexpectedFrame(_logger, _owner is null ? "shared" : "private");
            }
            isReply = false;
            if (_owner is null)
            {
                throw new InvalidDataException("a reply arrived with no request pending");
            }
        }
        _frameIsReply = isReply;
        _frameTarget = isReply ? (_head.Silent ? null : _head.Target) : _owner;
        _frameRouter = null;
        if (isReply && !_head.Silent && _headRouter is { } router)
        {
            _frameTarget = router.Route(frame);
            _frameRouter = ReferenceEquals(_frameTarget, router) ? router : null;
        }
        return true;
    }

    private int SubscriptionCount => _subscriptions[0].Count + _subscriptions[1].Count + _subscriptions[2].Count;

    // A frame of the head reply is complete. Returns the head when it has now been fully answered.
    // What a frame says is known from its first byte (+OK or -error, a RESP3 map or a RESP2 array)
    // and from BeginFrame, so a frame that arrived over several reads is judged alike.
    private PendingReply? HeadFrameDone()
    {
        switch (_head.Kind)
        {
            case ReplyKind.Monitor:
                _monitoring = _frameType == (byte)'+';
                _headRemaining = 0;
                break;
            case ReplyKind.Reset:
                foreach (var set in _subscriptions)
                {
                    set.Clear();
                }
                _monitoring = false;
                _resp3 = false;
                _inTransaction = false;
                _headRemaining = 0;
                break;
            case ReplyKind.Multi:
                _inTransaction |= _frameType == (byte)'+';
                _headRemaining--;
                break;
            case ReplyKind.EndTransaction:
                _inTransaction = false;
                _headRemaining--;
                break;
            case ReplyKind.Hello:
                // HELLO answers in the protocol it switched to: a map in RESP3, an array in RESP2.
                _resp3 = _frameType == (byte)'%' || (_frameType != (byte)'*' && _resp3);
                _headRemaining--;
                break;
            case ReplyKind.Subscription when !_frameIsConfirmation:
                _headRemaining = 0; // an error (or +QUEUED) answers the whole command
                break;
            default:
                _headRemaining--;
                break;
        }
        if (_headRemaining > 0)
        {
            return null;
        }
        var done = _head;
        bool retired;
        lock (_pending)
        {
            _pending.Dequeue();
            retired = _retiring && _pending.Count == 0;
        }
        if (retired)
        {
            Volatile.Write(ref _closing, true);
            Shutdown(); // what is already read is still handled; then the loop ends
        }
        _hasHead = false;
        _head = default;
        return done;
    }

    private static bool StartsWith(ReadOnlySequence<byte> data, ReadOnlySpan<byte> prefix)
    {
        if (data.Length < prefix.Length)
        {
            return false;
        }
        Span<byte> head = stackalloc byte[prefix.Length];
        data.Slice(0, prefix.Length).CopyTo(head);
        return head.SequenceEqual(prefix);
    }

    private void Emit(IReplySink? target, ReadOnlySequence<byte> bytes)
    {
        if (target is null || bytes.IsEmpty)
        {
            return;
        }
        if (target.WriteFromBackend(bytes))
        {
            _touched.Add(target);
        }
    }

    private void FlushTouched()
    {
        foreach (var session in _touched)
        {
            session.FlushFromBackend();
        }
        _touched.Clear();
    }

    // The connection is gone: every reply still expected becomes an error, promptly.
    private void Fail(Exception? reason)
    {
        PendingReply[] orphans;
        lock (_pending)
        {
            if (_failed)
            {
                return;
            }
            Volatile.Write(ref _failed, true);
            orphans = [.. _pending];
            _pending.Clear();
            _roomWaiter?.TrySetResult(); // writers waiting for room learn of the failure
            _roomWaiter = null;
        }
        Shutdown();
        var why = reason switch
        {
            _ when Volatile.Read(ref _closing) => "closed by SharpGears",
            null => "closed by the backend",
            InvalidDataException => "protocol error: " + reason.Message,
            _ => reason.Message,
        };
        if (!Volatile.Read(ref _closing))
        {
            LogConnectionLost(_logger, _owner is null ? "shared" : "private", orphans.Length, why);
        }
        var message = $"ERR SharpGears lost its connection to the backend Redis ({why})";
        for (var i = 0; i < orphans.Length; i++)
        {
            var orphan = orphans[i];
            if (orphan.Target is not { } target)
            {
                continue;
            }
            if (orphan.Silent)
            {
                target.OnRepliesDelivered();
                continue;
            }
            if (i == 0 && _hasHead && _frameEmitted && _frameIsReply)
            {
                target.Abort(); // half a reply went out: the client cannot be answered sensibly
                continue;
            }
            var count = orphan.Kind == ReplyKind.Replies ? (i == 0 && _hasHead ? _headRemaining : orphan.Count) : 1;
            target.FailReplies(count, message);
            target.OnRepliesDelivered();
        }
        _walker.Reset();
        _hasHead = false;
        _owner?.OnBackendLost();
        _onFailed?.Invoke(this);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {Kind} backend connection lost its connection with {Pending} replies pending: {Reason}")]
    private static partial void LogConnectionLost(ILogger logger, string kind, int pending, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "A {Kind} backend connection received a reply with no request pending")]
    private static partial void LogUnexpectedFrame(ILogger logger, string kind);
}
