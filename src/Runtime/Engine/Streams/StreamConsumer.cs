using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using SharpGears.Api;
using SharpGears.Runtime.Engine.Execution;

namespace SharpGears.Runtime.Engine.Streams;

/// <summary>
/// Reads one stream for one registration, one batch at a time, through the registration's consumer
/// group: first the entries that were delivered and never acknowledged (a gateway killed mid-batch, a
/// failed batch to retry), claimed again with XAUTOCLAIM, then new ones with XREADGROUP. A batch's
/// entries are acknowledged only after it succeeded (or, with <see cref="OnFailedPolicy.Continue"/>,
/// failed and is skipped), so every entry is processed at least once. Waits for new entries on the
/// stream's xadd notifications, and looks every second anyway in case one was missed.
/// </summary>
internal sealed partial class StreamConsumer
{
    private static readonly TimeSpan IdleLook = TimeSpan.FromSeconds(1);

    private readonly StreamRegistration _owner;
    private readonly StreamProcessor _processor;
    private readonly CancellationToken _stop;
    // Released by a notification, taken by the wait: at most one wake-up is kept.
    private readonly SemaphoreSlim _wake = new(0, 1);
    // XAUTOCLAIM's cursor while pending entries are read; null once they all were.
    private string? _pendingCursor = "0-0";
    // The last batch's acknowledgement, not awaited before the next read: the two share a round trip.
    private Task _acknowledging = Task.CompletedTask;

    public StreamConsumer(StreamRegistration owner, string key, StreamProcessor processor, Task predecessor)
    {
        _owner = owner;
        _processor = processor;
        _stop = owner.Stop.Token;
        Key = key;
        Completion = Task.Run(() => RunAsync(predecessor), CancellationToken.None);
    }

    public string Key { get; }

    /// <summary>Done when the consumer has stopped: after its last batch was acknowledged, or not.</summary>
    public Task Completion { get; }

    /// <summary>New entries arrived (an xadd notification): read them now rather than at the next look.</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // woken already
        }
    }

    private async Task RunAsync(Task predecessor)
    {
        // The consumer this one replaces (an UPGRADE keeps the group) finishes its batch first, so
        // that its entries are not claimed and run twice.
        await predecessor.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var backend = _processor.Backend;
        var streamGone = false;
        try
        {
            if (!await _processor.CreateGroupsAsync(Key).ConfigureAwait(false))
            {
                streamGone = true;
                return;
            }
            Task<List<object?>?>? readAhead = null;
            while (!_stop.IsCancellationRequested)
            {
                var batch = await (readAhead ?? ReadBatchAsync(backend)).ConfigureAwait(false);
                readAhead = null;
                if (batch is null)
                {
                    streamGone = true; // a new consumer starts when it is created again
                    return;
                }
                if (batch.Count == 0)
                {
                    await WaitForEntriesAsync(IdleLook).ConfigureAwait(false);
                    continue;
                }
                // A full batch of new entries suggests more: the next is read while this one runs
                // (Redis and the gateway work at once). Batches still run one after another, and
                // entries read ahead are pending like any other until their batch is acknowledged.
                if (batch.Count == _owner.Options.Batch && _pendingCursor is null && _owner.Options.DurationMs == 0)
                {
                    readAhead = ReadBatchAsync(backend);
                }
                await ProcessAsync(backend, batch).ConfigureAwait(false);
                if (readAhead is not null && _pendingCursor is not null)
                {
                    // The batch failed and is read again from the pending entries, which hold what was
                    // read ahead too, in order.
                    await ((Task)readAhead).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    readAhead = null;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The backend went away, or the stream was replaced by another type: look again later.
            LogReadFailed(_processor.Logger, _owner.Registration.Id, Key, e.Message);
            _processor.Restart(_owner, this, TimeSpan.FromSeconds(1));
        }
        finally
        {
            // Done means acknowledged: a consumer that takes over must not claim this batch again.
            await _acknowledging.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _processor.OnConsumerEnded(_owner, this, streamGone);
        }
    }

    /// <summary>
    /// The next batch: pending entries while there are any, else new ones, waiting up to the
    /// registration's duration for a batch that is not full. Empty when there is nothing; null when
    /// the stream (or its group) is gone and cannot be made again.
    /// </summary>
    private async Task<List<object?>?> ReadBatchAsync(BackendClient backend)
    {
        var size = _owner.Options.Batch;
        var batch = new List<object?>(Math.Min(size, 1024));
        if (_pendingCursor is not null)
        {
            var reply = await ReadOrRecreateAsync(backend, () => backend.ExecuteAsync(
                "XAUTOCLAIM", Key, _owner.Group, StreamRegistration.Consumer, "0", _pendingCursor, "COUNT", size.ToString(CultureInfo.InvariantCulture))).ConfigureAwait(false);
            if (reply == Missing)
            {
                return null;
            }
            if (reply is not object?[] { Length: >= 2 } claimed)
            {
                return batch; // the group was made again: its pending entries are read next
            }
            var gone = new List<string>();
            StreamEntries.Add(Key, claimed[1], batch, gone);
            if (claimed.Length > 2 && claimed[2] is object?[] deleted)
            {
                gone.AddRange(deleted.OfType<string>());
            }
            if (gone.Count > 0)
            {
                // Deleted while pending: nothing to process, only to acknowledge.
                await StreamAcknowledgement.AcknowledgeAsync(backend, Key, _owner.Group, trim: false, gone).ConfigureAwait(false);
            }
            _pendingCursor = claimed[0] is string next && next != "0-0" ? next : null;
            if (batch.Count > 0 || _pendingCursor is not null)
            {
                return batch;
            }
        }
        if (!await ReadNewAsync(backend, batch, size).ConfigureAwait(false))
        {
            return null;
        }
        if (batch.Count == 0 || batch.Count >= size || _owner.Options.DurationMs == 0)
        {
            return batch;
        }
        // Not full: wait for more until the duration has passed since the batch began.
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * _owner.Options.DurationMs / 1000;
        while (batch.Count < size)
        {
            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero)
            {
                break;
            }
            await WaitForEntriesAsync(left).ConfigureAwait(false);
            if (!await ReadNewAsync(backend, batch, size).ConfigureAwait(false))
            {
                break;
            }
        }
        return batch;
    }

    private async Task<bool> ReadNewAsync(BackendClient backend, List<object?> batch, int size)
    {
        var reply = await ReadOrRecreateAsync(backend, () => backend.ExecuteAsync(
            "XREADGROUP", "GROUP", _owner.Group, StreamRegistration.Consumer, "COUNT", (size - batch.Count).ToString(CultureInfo.InvariantCulture), "STREAMS", Key, ">")).ConfigureAwait(false);
        if (reply == Missing)
        {
            return false;
        }
        if (reply is object?[] { Length: > 0 } streams && streams[0] is object?[] { Length: 2 } stream)
        {
            StreamEntries.Add(Key, stream[1], batch);
        }
        return true;
    }

    private static readonly object Missing = new();

    // A stream deleted and created again has lost its groups: the group is made again (from the
    // start of the new stream). Returns Missing when the stream is gone.
    private async Task<object?> ReadOrRecreateAsync(BackendClient backend, Func<Task<object?>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (GearsException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            if (!await StreamProcessor.CreateGroupAsync(backend, Key, _owner.Group).ConfigureAwait(false))
            {
                return Missing;
            }
            _pendingCursor = "0-0";
            return Array.Empty<object?>();
        }
    }

    private Task WaitForEntriesAsync(TimeSpan atMost) => _wake.WaitAsync(atMost, _stop);

    private async Task ProcessAsync(BackendClient backend, List<object?> batch)
    {
        // The previous batch's acknowledgement went out with the read of this one, and this one runs
        // without waiting for its reply (a round trip less per batch); one already known to have
        // failed (the backend gone) stops the consumer before this batch runs: both stay pending.
        if (_acknowledging.IsCompleted)
        {
            await _acknowledging.ConfigureAwait(false);
        }
        var registration = _owner.Registration;
        var outcome = await _processor.RunBatchAsync(registration, batch).ConfigureAwait(false);
        if (!outcome.Ran)
        {
            return; // unregistered with abortpending, or stopped: its entries stay pending
        }
        if (outcome.Error is not null && _stop.IsCancellationRequested)
        {
            return; // paused or unregistered meanwhile (perhaps what aborted it): the batch stays pending
        }
        if (outcome.Error is not null && _owner.Options.OnFailedPolicy != OnFailedPolicy.Continue)
        {
            _pendingCursor = "0-0"; // the batch is read again from the pending entries
            if (_owner.Options.OnFailedPolicy == OnFailedPolicy.Abort)
            {
                _processor.Abort(_owner, outcome.Error);
                return;
            }
            // An acknowledgement that failed meanwhile is the consumer's to stop on, not the retry's.
            await _acknowledging.ConfigureAwait(false);
            _owner.Status = StreamStatus.WaitingForRetryOnFailure;
            await Task.Delay(TimeSpan.FromSeconds(_owner.Options.RetryIntervalSeconds), _stop).ConfigureAwait(false);
            _owner.Status = StreamStatus.Ok;
            return;
        }
        var ids = new List<string>(batch.Count);
        foreach (var record in batch)
        {
            ids.Add(((StreamRecord)record!).Id);
        }
        // The previous batch's acknowledgement, if it failed meanwhile, stops the consumer here,
        // before this batch is acknowledged: both stay pending.
        await _acknowledging.ConfigureAwait(false);
        _acknowledging = AcknowledgeAsync(backend, ids);
    }

    private async Task AcknowledgeAsync(BackendClient backend, List<string> ids)
    {
        await StreamAcknowledgement.AcknowledgeAsync(backend, Key, _owner.Group, _owner.Options.TrimStream, ids).ConfigureAwait(false);
        _owner.OnBatchDone(EstimatedLagMs(ids[0]));
    }

    // From the time part of the oldest entry's id (Redis' clock when it was added) to now. Ids
    // given by hand (XADD s 1-1) carry no time: their lag is counted from now, as 0.
    private static long EstimatedLagMs(string oldestId)
    {
        var added = StreamEntries.Milliseconds(oldestId);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return added < 946_684_800_000 ? 0 : Math.Max(0, now - added);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Registration {Registration} stopped reading the stream {Stream} ({Error}); its entries not acknowledged stay pending, and it reads again in a second")]
    private static partial void LogReadFailed(ILogger logger, string registration, string stream, string error);
}
