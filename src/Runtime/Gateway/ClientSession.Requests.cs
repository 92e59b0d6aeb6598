using System.Text;
using SharpGears.Runtime.Backend;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Gateway;

internal sealed partial class ClientSession
{
    /// <summary>
    /// The largest RG.* request: those are answered here, so they are buffered whole (a C# script of
    /// 512 KB is already far beyond any real one). A larger one is read through and refused.
    /// </summary>
    public const int MaxLocalRequest = 512 * 1024;

    private RequestParser _parser;

    // True while a request too large to buffer is being forwarded (or, if refused, skipped) as it arrives.
    private bool _streaming;
    private bool _discarding;

    // QUIT went to Redis (see HandleSpecialAsync); the session ends when Redis closes.
    private bool _quitForwarded;

    // MULTI was sent and neither EXEC, DISCARD nor RESET since: commands are queued, not run. Known from
    // the requests, because a client may have turned the replies that would tell off.
    private bool _inTransaction;

    // A change of authentication was queued in a transaction: EXEC is what makes it happen.
    private bool _authenticationChangeQueued;

    // How far the parser has walked into an incomplete request that waits for more input.
    private long _walked;

    // How many reply entries the request being streamed has queued (0 or 1).
    private int _streamedReplies;

    /// <summary>
    /// Handles every whole request in <paramref name="buffer"/>; returns how far it got. Runs of plain
    /// requests are forwarded as one copy of their bytes, with one entry for all their replies.
    /// </summary>
    private async ValueTask<SequencePosition> ProcessAsync(ReadOnlySequence<byte> buffer)
    {
        if (_private is null)
        {
            if (_server.AuthenticationSettled is { IsCompleted: false } settled)
            {
                await settled; // a password may just have been set: no shared connection until it is known
            }
            if (_server.ClientsNeedOwnConnection || OutputCongested)
            {
                // A client that does not read its replies moves to a connection of its own, where the
                // backend waits for it instead of the gateway holding its replies.
                await EnsurePinnedAsync();
            }
        }
        var position = buffer.Start;
        if (_quitForwarded)
        {
            return buffer.End; // waiting for Redis to close after QUIT
        }
        if (_streaming)
        {
            var (status, end) = Parse(buffer, resume: true);
            if (status == RequestStatus.ProtocolError)
            {
                // The backend has the first part of the request. Answer what came before it, then the
                // error, as Redis does; the backend connection goes when the client does, and the half
                // request with it (its own reply is not the client's: the output closes first).
                await DrainAsync(leave: _streamedReplies);
                WriteProtocolError();
                lock (_outputLock)
                {
                    _outputClosed = true;
                }
                _closing = true;
                return buffer.End;
            }
            if (!_discarding)
            {
                await SendAsync(buffer.Slice(position, end), replies: 0);
            }
            position = end;
            if (status == RequestStatus.Incomplete)
            {
                return position;
            }
            _streaming = false;
            if (_discarding)
            {
                _discarding = false;
                if (NextReplyCount() > 0)
                {
                    WriteLocalError($"ERR SharpGears command too large: RG.* requests are limited to {MaxLocalRequest} bytes");
                }
            }
        }

        var batchStart = position;
        var batchReplies = 0;
        while (!_closing && !_quitForwarded)
        {
            var rest = buffer.Slice(position);
            // An incomplete request is walked on from where the last read left it, never again from
            // its start (a request trickled in small pieces would cost quadratic time).
            var (status, end) = _walked > 0 ? Parse(rest.Slice(_walked), resume: true) : Parse(rest, resume: false);
            _walked = 0;
            switch (status)
            {
                case RequestStatus.Empty:
                    position = end; // Redis ignores it; forwarding it along is harmless
                    continue;

                case RequestStatus.Complete:
                    var kind = CommandTable.Classify(_parser.Name);
                    if ((kind == CommandKind.Gears && !_server.GearsCommands.IsRegistered(_parser.Name.Span))
                        || (kind == CommandKind.EndTransaction && _private is null))
                    {
                        // Redis answers an RG.* name nobody registered with its own error (and, inside
                        // MULTI, discards the transaction); EXEC with no MULTI is Redis' error too.
                        kind = CommandKind.Plain;
                    }
                    if (kind == CommandKind.Plain && _server.Engine.Interceptions is { } interceptions && interceptions.TryGet(_parser.Name, out var intercepted)
                        && intercepted.MayIntercept(buffer.Slice(position, end), _parser.InlineArguments))
                    {
                        if (TryBatchLinked(intercepted, buffer.Slice(position, end), batchReplies))
                        {
                            batchReplies++;
                            position = end;
                            continue;
                        }
                        kind = CommandKind.Intercepted;
                        _intercepted = intercepted;
                    }
                    if (kind == CommandKind.Plain && _parser.InlineArguments is null)
                    {
                        batchReplies += NextReplyCount();
                        position = end;
                        continue;
                    }
                    await SendBatchAsync(buffer.Slice(batchStart, position), batchReplies);
                    batchReplies = 0;
                    await HandleSpecialAsync(kind, buffer.Slice(position, end));
                    position = batchStart = end;
                    continue;

                case RequestStatus.ProtocolError:
                    await SendBatchAsync(buffer.Slice(batchStart, position), batchReplies);
                    await DrainAsync();
                    WriteProtocolError();
                    _closing = true;
                    return buffer.End;

                default: // Incomplete
                    await SendBatchAsync(buffer.Slice(batchStart, position), batchReplies);
                    if (rest.Length < _server.Options.StreamThreshold || !_parser.NameKnown)
                    {
                        _walked = _parser.InProgress ? rest.Slice(0, end).Length : 0;
                        return position;
                    }
                    if (CommandTable.Classify(_parser.Name) is not (CommandKind.Gears or CommandKind.Quit))
                    {
                        return await StartStreamingAsync(rest, end);
                    }
                    if (rest.Length < MaxLocalRequest)
                    {
                        _walked = rest.Slice(0, end).Length;
                        return position; // answered here: buffered whole
                    }
                    await DrainAsync();
                    _streaming = _discarding = true;
                    return end;
            }
        }
        await SendBatchAsync(buffer.Slice(batchStart, position), batchReplies);
        return position;
    }

    private (RequestStatus Status, SequencePosition End) Parse(ReadOnlySequence<byte> input, bool resume)
    {
        if (!resume)
        {
            _parser.Reset();
        }
        var reader = new SequenceReader<byte>(input);
        var status = _parser.Advance(ref reader);
        return (status, reader.Position);
    }

    // A request larger than the gateway buffers: forward what has arrived and the rest as it comes,
    // on the client's own connection, so that nobody else waits behind it and it is held only once.
    private async ValueTask<SequencePosition> StartStreamingAsync(ReadOnlySequence<byte> request, SequencePosition end)
    {
        if (!await EnsurePinnedAsync())
        {
            WriteLocalError(BackendUnavailable);
            _closing = true;
            return request.End;
        }
        _streaming = true;
        var expected = ExpectedReplies(CommandTable.Classify(_parser.Name), NextReplyCount());
        _streamedReplies = expected.Count == 0 ? 0 : 1;
        await SendAsync(request.Slice(0, end), expected);
        return end;
    }

    // Redis' error text holds a client byte as it is ("expected '$', got '\xff'"): one char per byte.
    private void WriteProtocolError() =>
        WriteLocal(output => RespWriter.WriteError(output, Encoding.Latin1.GetBytes("ERR " + _parser.Error)));

    private async ValueTask HandleSpecialAsync(CommandKind kind, ReadOnlySequence<byte> request)
    {
        var skipped = _suppression == ReplySuppression.SkipNext;
        var replies = NextReplyCount();
        if (_parser.InlineArguments is { } inline)
        {
            var encoded = new ArrayBufferWriter<byte>();
            RespWriter.WriteCommand(encoded, inline);
            request = new ReadOnlySequence<byte>(encoded.WrittenMemory);
        }
        switch (kind)
        {
            case CommandKind.Plain:
                await SendAsync(request, replies);
                return;

            case CommandKind.Intercepted:
                await HandleInterceptedAsync(request, replies);
                return;

            case CommandKind.Admin when ChangesAuthentication(_parser.InlineArguments ?? RequestArguments.Read(request)):
                // CONFIG SET requirepass or an ACL change may make the backend require AUTH. Inside
                // MULTI it happens at EXEC, which is then checked the same way.
                _authenticationChangeQueued = _private is not null;
                await _server.AuthenticationMayChangeAsync(async () =>
                {
                    await SendAsync(request, replies);
                    await DrainAsync();
                });
                return;

            case CommandKind.Admin:
                await SendAsync(request, replies);
                return;

            case CommandKind.Quit when _private is { IsMonitoring: true }:
                // A monitor stream mixes replies with monitor lines: only Redis can answer in order.
                // It answers, closes, and the client is closed after everything before it; nothing
                // after QUIT is run.
                await SendAsync(request, new PendingReply(this, ReplyKind.Replies, 0));
                _quitForwarded = true;
                return;

            case CommandKind.Quit:
                await DrainAsync();
                if (replies > 0)
                {
                    WriteLocal(static output => RespWriter.WriteSimpleString(output, "OK"));
                }
                _closing = true;
                return;

            case CommandKind.Gears:
                await DrainAsync();
                await Task.Yield(); // off the socket thread: RG.* commands may compile or run code
                var arguments = _parser.InlineArguments ?? RequestArguments.Read(request);
                var reply = new ArrayBufferWriter<byte>();
                if (_inTransaction)
                {
                    // RG.* commands are answered here, not queued in the backend's transaction, so
                    // they are refused; an unknown command, its reply dropped, makes Redis discard
                    // the transaction at EXEC, as it would for any command refused while queueing.
                    await SendAsync(new ReadOnlySequence<byte>(RespWriter.EncodeCommand("SHARPGEARS.REFUSED-IN-MULTI")), new PendingReply(this, ReplyKind.Replies, 1, Silent: true));
                    RespWriter.WriteError(reply, $"ERR {Encoding.UTF8.GetString(arguments[0])} can not run inside MULTI: SharpGears answers RG.* commands itself; the transaction is discarded");
                }
                else if (await _server.Authorization.RefusalAsync(_server.GearsCommands.PermissionOf(arguments[0]), this, Encoding.UTF8.GetString(arguments[0]).ToUpperInvariant()) is { } refusal)
                {
                    RespWriter.WriteError(reply, refusal);
                }
                else
                {
                    await _server.GearsCommands.ExecuteAsync(new GearsRequest(arguments, reply, this));
                }
                if (replies > 0)
                {
                    WriteLocal(output => output.Write(reply.WrittenSpan));
                }
                return;
        }

        if (!await EnsurePinnedAsync())
        {
            if (replies > 0)
            {
                WriteLocalError(BackendUnavailable);
            }
            return;
        }
        _inTransaction = kind switch
        {
            CommandKind.Multi => true,
            CommandKind.EndTransaction or CommandKind.Reset => false,
            _ => _inTransaction,
        };
        if (kind == CommandKind.EndTransaction && _authenticationChangeQueued)
        {
            _authenticationChangeQueued = false;
            _queuedLinks = null; // an authentication change outranks them: they do not fire
            await _server.AuthenticationMayChangeAsync(async () =>
            {
                await SendAsync(request, ExpectedReplies(kind, replies));
                await DrainAsync();
            });
            return;
        }
        var expected = kind == CommandKind.Reset && skipped
            ? new PendingReply(null, ReplyKind.Reset, 0) // Redis clears CLIENT REPLY OFF before answering RESET, but a SKIP still silences it
            : ExpectedReplies(kind, replies);
        if (kind is CommandKind.EndTransaction or CommandKind.Reset)
        {
            // EXEC runs the linked commands queued since MULTI; DISCARD and RESET drop them.
            expected = kind == CommandKind.EndTransaction && Ascii.EqualsIgnoreCase(_parser.Name.Span, "exec"u8) ? ObserveExec(expected) : expected;
            _queuedLinks = null;
        }
        if (kind == CommandKind.Client && ClientReplyMode(request) is { } mode)
        {
            // Redis queues CLIENT REPLY inside MULTI and refuses it in RESP2 subscribed mode; the
            // connection knows which, once the replies before this one are in.
            await DrainAsync();
            if (_private!.RunsClientReply && !_inTransaction)
            {
                var count = ApplyClientReply(mode, expected.Count);
                expected = expected with { Count = _private.IsMonitoring ? 0 : count };
            }
        }
        await SendAsync(request, expected);
        if (kind == CommandKind.Reset && skipped)
        {
            // The skipped RESET sends nothing back: a PING of the gateway's own (its +PONG dropped)
            // marks the point where the reset state applies.
            await SendAsync(new ReadOnlySequence<byte>(RespWriter.EncodeCommand("PING")), new PendingReply(this, ReplyKind.Reset, 1, Silent: true));
        }
        if (kind is CommandKind.Monitor or CommandKind.Reset)
        {
            // What they change decides how later replies are told apart: let it settle first.
            await DrainAsync();
            if (kind == CommandKind.Reset)
            {
                _suppression = ReplySuppression.None;
            }
        }
    }

    // Commands that may change whether a new connection must authenticate: CONFIG SET requirepass,
    // and ACL changes to the user a new connection is (default), or a reload of all users.
    private static bool ChangesAuthentication(List<byte[]> arguments)
    {
        if (arguments.Count < 2)
        {
            return false;
        }
        if (Ascii.EqualsIgnoreCase(arguments[0], "config"u8))
        {
            return Ascii.EqualsIgnoreCase(arguments[1], "set"u8)
                && arguments.Skip(2).Where((_, i) => i % 2 == 0).Any(name => Ascii.EqualsIgnoreCase(name, "requirepass"u8));
        }
        return Ascii.EqualsIgnoreCase(arguments[1], "load"u8)
            || (Ascii.EqualsIgnoreCase(arguments[1], "setuser"u8) && arguments.Count > 2 && arguments[2].AsSpan().SequenceEqual("default"u8));
    }

    // What answers a command of this kind on the client's own connection.
    private PendingReply ExpectedReplies(CommandKind kind, int replies)
    {
        if (_private is { IsMonitoring: true } && kind != CommandKind.Reset)
        {
            replies = 0; // a monitor stream has no room for replies we could tell apart
        }
        return kind switch
        {
            CommandKind.Subscription => SubscriptionReplies(replies),
            CommandKind.Monitor => new PendingReply(this, ReplyKind.Monitor, replies),
            CommandKind.Reset => new PendingReply(this, ReplyKind.Reset, 1),
            CommandKind.Hello => new PendingReply(this, ReplyKind.Hello, replies),
            CommandKind.Multi => new PendingReply(this, ReplyKind.Multi, replies),
            CommandKind.EndTransaction => new PendingReply(this, ReplyKind.EndTransaction, replies),
            _ => new PendingReply(this, ReplyKind.Replies, replies),
        };
    }

    private PendingReply SubscriptionReplies(int replies)
    {
        var (family, subscribe) = CommandTable.Subscription(_parser.Name);
        var channels = _parser.ArgumentCount - 1;
        // SUBSCRIBE with no channel is one error; UNSUBSCRIBE with none means every current one.
        var count = replies == 0 ? 0 : channels > 0 ? channels : subscribe ? 1 : -1;
        return new PendingReply(this, ReplyKind.Subscription, count, family);
    }

    // The mode of a well-formed CLIENT REPLY ON|OFF|SKIP, or null for any other CLIENT command.
    private byte[]? ClientReplyMode(ReadOnlySequence<byte> request)
    {
        if (_parser.ArgumentCount != 3)
        {
            return null;
        }
        var arguments = _parser.InlineArguments ?? RequestArguments.Read(request);
        return Ascii.EqualsIgnoreCase(arguments[1], "reply"u8) ? arguments[2] : null;
    }

    // CLIENT REPLY ON|OFF|SKIP decides which replies Redis sends; returns this command's reply count.
    private int ApplyClientReply(byte[] mode, int replies)
    {
        if (Ascii.EqualsIgnoreCase(mode, "on"u8))
        {
            _suppression = ReplySuppression.None;
            return 1;
        }
        if (Ascii.EqualsIgnoreCase(mode, "off"u8))
        {
            _suppression = ReplySuppression.Off;
            return 0;
        }
        if (Ascii.EqualsIgnoreCase(mode, "skip"u8))
        {
            _suppression = _suppression == ReplySuppression.Off ? ReplySuppression.Off : ReplySuppression.SkipNext;
            return 0;
        }
        return replies;
    }

    private int NextReplyCount()
    {
        switch (_suppression)
        {
            case ReplySuppression.Off:
                return 0;
            case ReplySuppression.SkipNext:
                _suppression = ReplySuppression.None;
                return 0;
            default:
                return _private is { IsMonitoring: true } ? 0 : 1;
        }
    }

    private ValueTask SendAsync(ReadOnlySequence<byte> request, int replies) =>
        request.IsEmpty ? ValueTask.CompletedTask : SendAsync(request, new PendingReply(this, ReplyKind.Replies, replies));

    private async ValueTask SendAsync(ReadOnlySequence<byte> request, PendingReply expected)
    {
        var connection = _private ?? await SharedConnectionAsync();
        if (expected.Count != 0)
        {
            Interlocked.Increment(ref _outstanding);
        }
        var sent = connection is not null && await connection.SendAsync(request, expected);
        if (!sent && _private is null && connection is not null)
        {
            // The shared connection was replaced under us (retired or lost): once more, on the new one.
            connection = await SharedConnectionAsync();
            sent = connection is not null && await connection.SendAsync(request, expected);
        }
        if (!sent)
        {
            if (expected.Count != 0)
            {
                FailReplies(expected.Kind == ReplyKind.Replies ? expected.Count : 1, BackendUnavailable);
                OnRepliesDelivered();
            }
        }
    }

    // The lane's connection; when it is not the one this client used last, the replies still owed on
    // that one are waited for first, so that replies cannot overtake each other across connections.
    private async ValueTask<BackendConnection?> SharedConnectionAsync()
    {
        var connection = await _lane.GetConnectionAsync();
        if (connection != _lastShared && connection is not null)
        {
            await DrainAsync();
            _lastShared = connection;
        }
        return connection;
    }

    private BackendConnection? _lastShared;

    private string BackendUnavailable =>
        $"ERR SharpGears cannot reach the backend Redis ({_lane.LastError ?? "connection lost"}); it keeps retrying";

    // Moves the client to a backend connection of its own, after its shared replies have arrived.
    private async ValueTask<bool> EnsurePinnedAsync()
    {
        if (_private is not null)
        {
            return true;
        }
        await DrainAsync();
        try
        {
            _private = await BackendConnection.ConnectAsync(_server.Target, this, _logger, null, _connection.ConnectionClosed);
            return true;
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException or IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Waits until every reply expected so far, but the last <paramref name="leave"/> entries, has been
    /// written to the client. Meanwhile this client's input is not read, so its private connection
    /// stops waiting for it to read its output (else a client that writes before it reads would hang).
    /// </summary>
    private async Task DrainAsync(int leave = 0)
    {
        if (Volatile.Read(ref _outstanding) <= leave)
        {
            return;
        }
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _drainedAt, leave);
        Interlocked.Exchange(ref _drained, waiter); // a full fence: OnRepliesDelivered sees it, or we see its count
        if (Volatile.Read(ref _outstanding) <= leave)
        {
            waiter.TrySetResult();
        }
        else if (Volatile.Read(ref _closing))
        {
            waiter.TrySetCanceled(); // the client left before the waiter was there to cancel
        }
        Volatile.Write(ref _draining, true);
        Interlocked.Exchange(ref _backPressureRelease, null)?.TrySetResult();
        try
        {
            await waiter.Task;
        }
        finally
        {
            Volatile.Write(ref _draining, false);
        }
    }
}
