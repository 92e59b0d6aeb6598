using System.Text;
using SharpGears.Runtime.Backend;
using SharpGears.Runtime.Engine.Linking;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Runtime.Gateway;

/// <summary>
/// Commands that registrations intercept: hooked commands go through their hook chain; commands
/// named in a registration's <c>commands</c> are forwarded, and their reply is held until the
/// executions they fired are done, then replaced by the one OverrideReply gave, if any. Only this
/// client waits: the replies that come after a held one wait behind it, in order.
/// </summary>
internal sealed partial class ClientSession : IHookedClient
{
    // Replies held for linked executions, oldest first, each with what came after it (under _outputLock).
    private readonly Queue<HeldReply> _held = new();
    private HeldReply? _lastHeld;

    // Linked commands queued in the open transaction: they fire, unlinked, once EXEC has run them.
    private List<(InterceptedCommand Command, List<CommandKey> Keys)>? _queuedLinks;

    // The linked commands in the batch being gathered (see TryBatchLinked).
    private List<LinkedCall>? _batchedCalls;

    // The command the request being handled was found to be (set with CommandKind.Intercepted).
    private InterceptedCommand? _intercepted;

    private sealed class HeldReply
    {
        public byte[]? Reply;
        public readonly ArrayBufferWriter<byte> After = new();
    }

    /// <summary>Where output goes now (under _outputLock): to the client, or behind the last held reply.</summary>
    private IBufferWriter<byte> Out => (IBufferWriter<byte>?)_lastHeld?.After ?? _output;

    private async ValueTask HandleInterceptedAsync(ReadOnlySequence<byte> request, int replies)
    {
        var command = _intercepted!;
        _intercepted = null;
        var arguments = _parser.InlineArguments ?? RequestArguments.Read(request);
        var keys = command.Spec.Keys(arguments);
        if (!_inTransaction && command.HooksFor(keys) is { Length: > 0 } chain)
        {
            // The hook's result is the reply: everything before it is answered first.
            await DrainAsync();
            await Task.Yield(); // off the socket thread: hooks run scripts
            var name = Encoding.UTF8.GetString(arguments[0]);
            var reply = await _server.Engine.RunHookChainAsync(chain, 0, name, [.. arguments.Skip(1)], this);
            if (replies > 0)
            {
                WriteLocal(output => output.Write(reply));
            }
            return;
        }
        if (!command.LinksAny(keys))
        {
            await SendAsync(request, replies);
        }
        else if (_inTransaction)
        {
            // Inside MULTI the command only queues; it runs at EXEC, where no client can be linked.
            (_queuedLinks ??= []).Add((command, keys));
            await SendAsync(request, replies);
        }
        else if (replies == 0)
        {
            // CLIENT REPLY OFF/SKIP: Redis sends no reply to look at or hold. The registration fires
            // unlinked once the command has gone out; its keys are looked up then.
            await SendAsync(request, 0);
            _ = Task.Run(() => _server.Engine.RunLinkedAsync(command, keys, linkClient: false));
        }
        else
        {
            await SendAsync(request, new PendingReply(new LinkedBatch(this, [new LinkedCall(0, command, null, keys, arguments.Count)]), ReplyKind.Replies, 1));
        }
    }

    /// <summary>
    /// Takes a linked command into the batch of plain ones around it when nothing but its reply needs
    /// a look: no hook on it, no transaction, a reply to look at. The caller counts its reply.
    /// </summary>
    private bool TryBatchLinked(InterceptedCommand command, ReadOnlySequence<byte> request, int batchReplies)
    {
        if (command.Hooks.Length > 0 || _inTransaction || _parser.InlineArguments is not null
            || _suppression != ReplySuppression.None || _private is { IsMonitoring: true })
        {
            return false;
        }
        (_batchedCalls ??= []).Add(new LinkedCall(batchReplies, command, request.ToArray(), null, _parser.ArgumentCount));
        return true;
    }

    /// <summary>Forwards a batch of requests, with a look at the replies of the linked commands among them.</summary>
    private ValueTask SendBatchAsync(ReadOnlySequence<byte> batch, int replies)
    {
        if (_batchedCalls is not { } calls)
        {
            return SendAsync(batch, replies);
        }
        _batchedCalls = null;
        return SendAsync(batch, new PendingReply(new LinkedBatch(this, calls), ReplyKind.Replies, replies));
    }

    /// <summary>
    /// The reply of a linked command, on the backend connection's receive loop, in reply order:
    /// later replies to this client cannot have been written yet, so holding this one here keeps the
    /// client's order. Returns true when a flush is due (as WriteFromBackend).
    /// </summary>
    public bool OnLinkedReply(ReadOnlySpan<byte> reply, LinkedCall call)
    {
        var command = call.Command;
        List<CommandKey>? keys = null;
        if (command.NothingFired(reply) || !command.MayHaveFired(reply, keys = call.ReadKeys()))
        {
            lock (_outputLock)
            {
                if (_outputClosed)
                {
                    return false;
                }
                Out.Write(reply);
                if (_flushPending || _lastHeld is not null)
                {
                    return false;
                }
                _flushPending = true;
                return true;
            }
        }
        // A nil reply to a command that names nothing but its key: the key is missing, no need to look.
        var missing = call.ArgumentCount == 2 && InterceptedCommand.IsNil(reply);
        var original = reply.ToArray();
        var held = new HeldReply();
        Interlocked.Increment(ref _outstanding); // until Release: a drain waits for the held reply too
        lock (_outputLock)
        {
            _held.Enqueue(held);
            _lastHeld = held;
        }
        // Started here, without a hop to another thread: up to its first wait it only queues the
        // executions (and the key look-up); they and the release run elsewhere.
        _ = RunAndReleaseAsync();
        return false;

        async Task RunAndReleaseAsync()
        {
            byte[]? replacement = null;
            try
            {
                replacement = await _server.Engine.RunLinkedAsync(command, keys, linkClient: true, Resp3, missing);
            }
            finally
            {
                Release(held, replacement ?? original);
            }
        }
    }

    // Sends a held reply, and after it everything that waited only for it.
    private void Release(HeldReply held, byte[] reply)
    {
        lock (_outputLock)
        {
            held.Reply = reply;
            while (_held.TryPeek(out var head) && head.Reply is not null)
            {
                _held.Dequeue();
                if (!_outputClosed)
                {
                    _output.Write(head.Reply);
                    _output.Write(head.After.WrittenSpan);
                }
            }
            if (_held.Count == 0)
            {
                _lastHeld = null;
            }
            if (!_outputClosed)
            {
                FlushLocked();
            }
        }
        OnRepliesDelivered();
    }

    // EXEC with linked commands queued: once it has run them (an array reply, not an abort), they fire.
    private PendingReply ObserveExec(PendingReply expected)
    {
        if (_queuedLinks is not { } queued)
        {
            return expected;
        }
        _queuedLinks = null;
        return expected.Count == 0 ? expected : expected with { Target = new ExecObserver(this, queued) };
    }

    /// <summary>Passes EXEC's reply to the client, and fires the linked commands it ran, unlinked.</summary>
    private sealed class ExecObserver(ClientSession session, List<(InterceptedCommand Command, List<CommandKey> Keys)> queued) : IReplySink
    {
        private int _seen;
        private bool _ran;

        public bool WriteFromBackend(ReadOnlySequence<byte> bytes)
        {
            if (_seen++ == 0)
            {
                var first = bytes.FirstSpan;
                _ran = first.Length > 1 && first[0] == (byte)'*' && first[1] != (byte)'-';
            }
            return session.WriteFromBackend(bytes);
        }

        public void OnRepliesDelivered()
        {
            session.OnRepliesDelivered();
            if (_ran)
            {
                var engine = session._server.Engine;
                _ = Task.Run(async () =>
                {
                    foreach (var (command, keys) in queued)
                    {
                        await engine.RunLinkedAsync(command, keys, linkClient: false);
                    }
                });
            }
        }

        public void FlushFromBackend() => session.FlushFromBackend();

        public void FailReplies(int count, string message) => session.FailReplies(count, message);

        public void OnBackendLost() => session.OnBackendLost();

        public void Abort() => session.Abort();

        public Task OutputDrained => session.OutputDrained;
    }

    public bool Resp3 => _private?.IsResp3 == true;

    /// <summary>The end of a hook chain: the command itself, on this client's backend connection.</summary>
    public async Task<byte[]> ForwardAsync(string command, object?[] arguments)
    {
        var encoded = new ArrayBufferWriter<byte>(64);
        RespWriter.WriteCommand(encoded, command, arguments);
        var capture = new ReplyCapture();
        // Awaited without coming back to the caller's scheduler: a hook that blocks in CallNext holds
        // an execution thread, which must not be the one this continuation needs.
        var connection = _private ?? await _lane.GetConnectionAsync().ConfigureAwait(false);
        if (connection is null || !await connection.SendAsync(new ReadOnlySequence<byte>(encoded.WrittenMemory), new PendingReply(capture, ReplyKind.Replies, 1)).ConfigureAwait(false))
        {
            return ScriptReply.Error(BackendUnavailable);
        }
        return await capture.Reply.ConfigureAwait(false);
    }
}
