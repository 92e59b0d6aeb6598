// Read-through from PostgreSQL: Redis as a cache in front of the tables, filled on first read.
//
//   HGETALL user:<id>   missing here → SELECT name, email FROM users WHERE id = <id> → a hash
//   GET product:<id>    missing here → SELECT price FROM products WHERE id = <id>     → a string
//
// The client gets the row on its FIRST read; later reads are plain Redis hits. An id with no row
// stays a miss (HGETALL answers an empty array, GET nil).
//
// RG.CONFIGSET keys (read when the script is submitted, except the TTL, read on every miss):
//   PostgresConnection  an Npgsql connection string (default Host=127.0.0.1;Username=postgres;Database=postgres)
//   PostgresCacheTtl    seconds a cached row lives here; 0 keeps it (default 0)
//
// Tables it expects (NOT NULL: a NULL column would have no value to cache):
//   CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL);
//   CREATE TABLE products (id int PRIMARY KEY, price numeric NOT NULL);

using Npgsql;

// One data source (a connection pool) for the whole session, made once here, not per event.
var database = NpgsqlDataSource.Create(
    GearsConfigGet("PostgresConnection", "Host=127.0.0.1;Username=postgres;Database=postgres")!);

// Keeps a cached key for PostgresCacheTtl seconds, so that rows changed in PostgreSQL show up again.
async Task ExpireAsync(string key)
{
    var ttl = long.Parse(GearsConfigGet("PostgresCacheTtl", "0")!);
    if (ttl > 0)
    {
        await ExecuteAsync("EXPIRE", key, ttl);
    }
}

// "user:42" → 42; null for a key whose id is not a number (no query for it, it stays a miss).
int? IdOf(string key) => int.TryParse(key[(key.IndexOf(':') + 1)..], out var id) ? id : null;

GB()
    .ForEach(async r =>
    {
        if (IdOf(r.Key) is not { } id)
        {
            return;
        }
        await using var query = database.CreateCommand("SELECT name, email FROM users WHERE id = $1");
        query.Parameters.AddWithValue(id); // a parameter, never text pasted into the SQL
        await using var row = await query.ExecuteReaderAsync();
        if (!await row.ReadAsync())
        {
            return; // no such user: HGETALL's empty reply stands
        }
        string[] user = ["name", row.GetString(0), "email", row.GetString(1)];
        await ExecuteAsync("HSET", [r.Key, .. user]);
        await ExpireAsync(r.Key);
        OverrideReply(user); // HGETALL's own shape: field, value, field, value
    })
    .Register(prefix: "user:*", eventTypes: ["keymiss"], commands: ["hgetall"], readValue: false, mode: ExecutionMode.AsyncLocal);

GB()
    .ForEach(async r =>
    {
        if (IdOf(r.Key) is not { } id)
        {
            return;
        }
        await using var query = database.CreateCommand("SELECT price FROM products WHERE id = $1");
        query.Parameters.AddWithValue(id);
        if (await query.ExecuteScalarAsync() is not decimal price)
        {
            return; // no such product: GET's nil stands
        }
        var text = price.ToString(System.Globalization.CultureInfo.InvariantCulture); // "9.99" whatever the locale
        await ExecuteAsync("SET", r.Key, text);
        await ExpireAsync(r.Key);
        OverrideReply(text);
    })
    .Register(prefix: "product:*", eventTypes: ["keymiss"], commands: ["get"], readValue: false, mode: ExecutionMode.AsyncLocal);
