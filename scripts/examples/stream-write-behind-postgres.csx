// Write-behind to PostgreSQL: every entry producers add to a stream events:* becomes a row of the
// table stream_events, written in batches, one round trip per batch, with Npgsql.
//
//   XADD events:clicks * user 42 page /pricing
//   psql -c 'SELECT * FROM stream_events'
//     → events:clicks | 1718000000000-0 | 2024-06-10 06:13:20+00 | {"user":"42","page":"/pricing"}
//
// Submit: redis-cli -p 6379 RG.CSEXECUTE "$(cat scripts/examples/stream-write-behind-postgres.csx)"
// Watch:  RG.DUMPREGISTRATIONS (status WAITING_FOR_RETRY_ON_FAILURE and lastError while PostgreSQL
//         refuses; numTriggered counts batches), XINFO GROUPS events:<name> (pending entries)
//
// Batches: up to 100 entries (a batch that is not full waits 50 ms for more), written with ONE
// INSERT whatever their number: the batch's columns go as four array parameters, unnested into
// rows by PostgreSQL. A batch is acknowledged (XACK, then trimmed from the stream) only once the
// INSERT succeeded.
//
// Nothing lost: onFailedPolicy: Retry. While PostgreSQL is down or refuses the INSERT, the batch
// stays pending in the stream and runs again every second (onFailedRetryInterval) until it gets in;
// the entries behind it wait in the stream, in order.
// Nothing twice: delivery is at least once (a batch written but not acknowledged, the gateway killed
// in between, is delivered again), so the table keys on the entry (stream, entry_id) and the INSERT
// skips rows that are there already (ON CONFLICT DO NOTHING).
// The fields go in a json column (not jsonb): json keeps any text a Redis value may be, even
// U+0000, which jsonb refuses; under Retry, an entry PostgreSQL can never take would stop the stream.
//
// RG.CONFIGSET keys (read when the script is submitted):
//   PostgresConnection  an Npgsql connection string (default Host=127.0.0.1;Username=postgres;Database=postgres)
//
// Table it expects:
//   CREATE TABLE stream_events (stream text NOT NULL, entry_id text NOT NULL, added_at timestamptz NOT NULL,
//                               fields json NOT NULL, PRIMARY KEY (stream, entry_id));

using System.Globalization;
using Npgsql;

// One data source (a connection pool) for the whole session, made once here, not per batch.
var database = NpgsqlDataSource.Create(
    GearsConfigGet("PostgresConnection", "Host=127.0.0.1;Username=postgres;Database=postgres")!);

// Field values as they are ("é", not "\u00e9"): the column is read by people too.
var json = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

// "1718000000000-0" → 1718000000000: the milliseconds when Redis added the entry.
long AddedAt(string id) => long.Parse(id.AsSpan(0, id.IndexOf('-')), CultureInfo.InvariantCulture);

GB(Readers.Stream)
    // The batch's entries in one list (Accumulate starts from null in every execution: one batch).
    .Accumulate((List<StreamRecord>? batch, StreamRecord entry) =>
    {
        batch ??= [];
        batch.Add(entry);
        return batch;
    })
    .ForEach(async batch =>
    {
        await using var insert = database.CreateCommand("""
            INSERT INTO stream_events (stream, entry_id, added_at, fields)
            SELECT stream, entry_id, timestamptz 'epoch' + added_ms * interval '1 millisecond', fields::json
            FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS batch (stream, entry_id, added_ms, fields)
            ON CONFLICT (stream, entry_id) DO NOTHING
            """);
        insert.Parameters.AddWithValue(batch.Select(entry => entry.Key).ToArray());
        insert.Parameters.AddWithValue(batch.Select(entry => entry.Id).ToArray());
        insert.Parameters.AddWithValue(batch.Select(entry => AddedAt(entry.Id)).ToArray());
        insert.Parameters.AddWithValue(batch.Select(entry => JsonSerializer.Serialize(entry.Value, json)).ToArray());
        await insert.ExecuteNonQueryAsync(); // throws while PostgreSQL refuses: the batch fails, and is retried
    })
    .Register(prefix: "events:*", batch: 100, duration: 50, onFailedPolicy: OnFailedPolicy.Retry, onFailedRetryInterval: 1);
