using System.Diagnostics;
using System.Threading.Channels;
using SharpGears.Api;
using SharpGears.Api.Pipeline;
using SharpGears.Runtime.Engine.KeyEvents;

namespace SharpGears.Runtime.Engine.Executions;

/// <summary>
/// What <c>Run()</c> reads, in batches of up to <c>count</c> records: the keyspace (KeysReader,
/// KeysOnlyReader), a stream's entries (StreamReader), a generator, or the shards' ids. A producer reads ahead of the pipeline by at
/// most two batches, so that Redis and the steps work at the same time while memory stays bounded
/// by the batch size, never the data size.
/// </summary>
internal static class RunReaders
{
    /// <summary>Throws when <paramref name="request"/>'s reader cannot Run, before anything starts.</summary>
    public static void Check(RunRequest request)
    {
        if (request.Reader is not ("KeysReader" or "KeysOnlyReader" or "StreamReader" or "ShardsIDReader" or "GeneratorReader"))
        {
            throw new GearsException($"the {request.Reader} cannot Run: it only reads for Register()");
        }
    }

    /// <summary>Starts reading; the batches arrive on the returned channel, which completes (or fails) when the reader is done.</summary>
    public static ChannelReader<List<object?>> Start(RunRequest request, BackendClient backend, BatchExecution execution, CancellationToken stop)
    {
        var channel = Channel.CreateBounded<List<object?>>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var batch in ReadAsync(request, backend, execution, stop).ConfigureAwait(false))
                {
                    execution.OnRead(batch.Count);
                    await channel.Writer.WriteAsync(batch, stop).ConfigureAwait(false);
                }
                channel.Writer.TryComplete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e);
            }
        }, CancellationToken.None);
        return channel.Reader;
    }

    private static IAsyncEnumerable<List<object?>> ReadAsync(RunRequest request, BackendClient backend, BatchExecution execution, CancellationToken stop) => request.Reader switch
    {
        "KeysReader" => ReadKeysAsync(request, backend, execution, stop, withValues: true),
        "KeysOnlyReader" => ReadKeysAsync(request, backend, execution, stop, withValues: false),
        "StreamReader" => ReadStreamAsync(request, backend, execution, stop),
        "ShardsIDReader" => One(GearsEngine.ShardId),
        _ => ReadGeneratorAsync(request.Source!, request.Count, stop),
    };

    private static async IAsyncEnumerable<List<object?>> One(object? record)
    {
        await Task.CompletedTask;
        yield return [record];
    }

    // SCAN in pages of Count keys, the next page asked for while this one's values are fetched; or,
    // with noScan, the one key the pattern names.
    private static async IAsyncEnumerable<List<object?>> ReadKeysAsync(
        RunRequest request, BackendClient backend, BatchExecution execution, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken stop, bool withValues)
    {
        if (request.NoScan)
        {
            var found = await backend.ExecuteAsync("EXISTS", request.Pattern).ConfigureAwait(false) is 1L;
            if (found)
            {
                yield return withValues ? await RecordsAsync([request.Pattern], request.ReadValue, backend).ConfigureAwait(false) : [request.Pattern];
            }
            yield break;
        }
        var count = request.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // Redis must never wait for the gateway: as soon as a page's reply is read, on the connection's
        // own thread, the next page and this page's values are asked for; the records of the page
        // before are made and handed over on another thread (their number is the caller's count).
        Task<object?> Scan(string cursor) => backend.ExecuteResumingOnReceiveAsync("SCAN", cursor, "MATCH", request.Pattern, "COUNT", count);
        var page = Scan("0");
        Task<List<object?>>? previous = null;
        while (true)
        {
            stop.ThrowIfCancellationRequested();
            var started = Stopwatch.GetTimestamp();
            var reply = await page.ConfigureAwait(false) as object?[] ?? throw new GearsException("SCAN gave an unexpected reply");
            var cursor = (string)reply[0]!;
            var keys = reply[1] as object?[] ?? [];
            if (cursor != "0")
            {
                page = Scan(cursor);
            }
            var current = keys.Length == 0 ? null : withValues ? RecordsAsync(keys, request.ReadValue, backend) : Task.FromResult<List<object?>>([.. keys]);
            if (previous is not null)
            {
                var batch = await previous.ConfigureAwait(false);
                execution.ReadTicks += Stopwatch.GetTimestamp() - started;
                yield return batch;
            }
            previous = current;
            if (cursor == "0")
            {
                break;
            }
        }
        if (previous is not null)
        {
            yield return await previous.ConfigureAwait(false);
        }
    }

    // XRANGE in pages of Count entries from FromId on, each page after the last id read. A key that
    // holds no stream reads as empty, as a missing one does, rather than failing the run.
    private static async IAsyncEnumerable<List<object?>> ReadStreamAsync(
        RunRequest request, BackendClient backend, BatchExecution execution, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken stop)
    {
        var count = request.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var from = request.FromId;
        while (true)
        {
            stop.ThrowIfCancellationRequested();
            var started = Stopwatch.GetTimestamp();
            object? reply;
            try
            {
                reply = await backend.ExecuteAsync("XRANGE", request.Pattern, from, "+", "COUNT", count).ConfigureAwait(false);
            }
            catch (GearsException e) when (e.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal))
            {
                throw new GearsException($"{request.Pattern} is not a stream: the StreamReader reads streams");
            }
            var batch = new List<object?>();
            Streams.StreamEntries.Add(request.Pattern, reply, batch);
            execution.ReadTicks += Stopwatch.GetTimestamp() - started;
            if (batch.Count > 0)
            {
                yield return batch;
            }
            if (batch.Count < request.Count)
            {
                yield break;
            }
            from = "(" + ((StreamRecord)batch[^1]!).Id;
        }
    }

    // KeysReader records: one MGET gives every string's value at once; the keys it found no string
    // for (other types, or gone since the scan) are read one by one, quietly (no key-miss events).
    private static async Task<List<object?>> RecordsAsync(object?[] keys, bool readValue, BackendClient backend)
    {
        var records = new List<object?>(keys.Length);
        if (!readValue)
        {
            foreach (var key in keys)
            {
                records.Add(new KeyRecord((string)key!, null, "unknown", null));
            }
            return records;
        }
        var values = await backend.ExecuteAsync("MGET", keys).ConfigureAwait(false) as object?[] ?? [];
        for (var i = 0; i < keys.Length; i++)
        {
            var key = (string)keys[i]!;
            if (i < values.Length && values[i] is string value)
            {
                records.Add(new KeyRecord(key, value, "string", null));
                continue;
            }
            var record = await KeyRecordReader.ReadAsync(backend, key, "", readValue: true, needType: true, quiet: true).ConfigureAwait(false);
            if (record.Type != "empty")
            {
                records.Add(record with { Event = null }); // gone since the scan: not read
            }
        }
        return records;
    }

    private static async IAsyncEnumerable<List<object?>> ReadGeneratorAsync(object source, int count, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken stop = default)
    {
        var batch = new List<object?>(Math.Min(count, 1024));
        if (source is System.Collections.IEnumerable items)
        {
            foreach (var item in items)
            {
                stop.ThrowIfCancellationRequested();
                batch.Add(item);
                if (batch.Count == count)
                {
                    yield return batch;
                    batch = new List<object?>(batch.Count);
                }
            }
        }
        else
        {
            await foreach (var item in ((IAsyncEnumerable<object?>)source).WithCancellation(stop).ConfigureAwait(false))
            {
                batch.Add(item);
                if (batch.Count == count)
                {
                    yield return batch;
                    batch = new List<object?>(batch.Count);
                }
            }
        }
        if (batch.Count > 0)
        {
            yield return batch;
        }
    }
}
