using System.Globalization;
using System.Text.Json;
using Npgsql;
using SharpGears.Runtime.Tests.Engine.Support;
using Installation = SharpGears.Runtime.Tests.Examples.ExampleScriptTests.Installation;

namespace SharpGears.Runtime.Tests.Examples;

/// <summary>
/// The StreamReader examples of scripts/examples, installed as the README says (RG.CONFIGSET, then
/// <c>redis-cli RG.CSEXECUTE "$(cat ...)"</c>) on a gateway of their own in front of a real
/// redis-server, fed as producers feed them: XADD straight to Redis, a burst at a time. Each test
/// waits, with a deadline, until the result is complete, then checks it exactly. The write-behind
/// example writes to a throwaway PostgreSQL.
/// </summary>
/// <remarks>
/// Tests of one example share its installation (and its stream, for the orders), each with
/// customers or streams of its own; the tests of this class run one after another.
/// </remarks>
public sealed class StreamExampleTests(StreamExampleTests.Servers servers) : IClassFixture<StreamExampleTests.Servers>
{
    private const string WaitingForRetry = "WAITING_FOR_RETRY_ON_FAILURE";

    // ---- stream-orders-by-customer.csx ------------------------------------------------------------

    [Fact]
    [ExampleScriptTests.Example("stream-orders-by-customer.csx")]
    public async Task OrdersByCustomerFoldsABurstOfOrdersIntoExactTotalsPerCustomerInBatches()
    {
        var example = await servers.OrdersAsync();
        var before = await RegistrationDataAsync(example);
        string[] customers = [.. Enumerable.Range(0, 5).Select(i => GearsFixture.Unique("c" + i))];
        // 300 orders, unevenly spread, amounts with cents, a refund now and then.
        var orders = Enumerable.Range(0, 300).Select(i => (
            Customer: customers[i % 7 % 5],
            Amount: (i % 50 == 49 ? "-" : "") + $"{i % 40}.{i * 7 % 100:00}")).ToArray();
        var badCustomerless = new[] { "amount", "12.00", "id", "o-x1" };
        var badAmount = new[] { "customer", customers[0], "amount", "12.345", "id", "o-x2" };

        var ids = await AddAsync(example, [
            .. orders.Select((order, i) => ("orders", new[] { "customer", order.Customer, "amount", order.Amount, "id", $"o-{i}" })),
            ("orders", badCustomerless), ("orders", badAmount)]);

        await Wait.UntilAsync(async () =>
        {
            long counted = 0;
            foreach (var customer in customers)
            {
                counted += long.Parse((string?)Reply.Parse(await example.DirectAsync("HGET", "customer:" + customer, "orders")) ?? "0", CultureInfo.InvariantCulture);
            }
            return counted == orders.Length && await HashAsync(example, "orders:rejected") is { } rejected && rejected.ContainsKey(ids[^1]);
        }, "every order is counted");
        foreach (var customer in customers)
        {
            var mine = orders.Select((order, i) => (order, Id: ids[i])).Where(o => o.order.Customer == customer).ToArray();
            var total = mine.Sum(o => decimal.Parse(o.order.Amount, CultureInfo.InvariantCulture));
            Assert.Equal(
                new Dictionary<string, string>
                {
                    ["orders"] = mine.Length.ToString(CultureInfo.InvariantCulture),
                    ["total"] = total.ToString("0.00", CultureInfo.InvariantCulture),
                    ["lastId"] = mine[^1].Id,
                },
                await HashAsync(example, "customer:" + customer));
        }
        var rejections = await HashAsync(example, "orders:rejected");
        Assert.Equal("no customer", rejections[ids[^2]]);
        Assert.Equal("amount '12.345' is not a number of cents", rejections[ids[^1]]);
        // Batches, not one execution per order: at least 302 / 100 of them, and far fewer than 302.
        var batches = (await RegistrationDataAsync(example)).Integer("numTriggered") - before.Integer("numTriggered");
        Assert.InRange(batches, 4, 60);
        await Wait.UntilAsync(async () => await example.DirectAsync("XLEN", "orders") == ":0\r\n", "the acknowledged orders are trimmed from the stream");
        await example.AssertNoFailuresSinceAsync(new ExampleScriptTests.Failures(before.Integer("numFailures"), ""));
    }

    [Fact]
    [ExampleScriptTests.Example("stream-orders-by-customer.csx")]
    public async Task OrdersByCustomerRunsAFailedBatchAgainWithoutCountingAnyOrderTwice()
    {
        var example = await servers.OrdersAsync();
        var before = await RegistrationDataAsync(example);
        var (ann, bob, bad) = (GearsFixture.Unique("ann"), GearsFixture.Unique("bob"), GearsFixture.Unique("bad"));
        // A hash key that is a string: the batch's write for that customer fails (WRONGTYPE), after
        // ann's and bob's (customers are written in the order they first appear).
        await example.DirectAsync("SET", "customer:" + bad, "not a hash");

        // One batch for sure: the six entries are added by one script, at once.
        await example.DirectAsync("EVAL", """
            for i = 1, #ARGV, 2 do redis.call('XADD', KEYS[1], '*', 'customer', ARGV[i], 'amount', ARGV[i + 1]) end
            """, "1", "orders", ann, "1.00", ann, "2.00", bob, "10.00", bad, "5.00", ann, "0.50", bob, "0.01");

        await Wait.UntilAsync(async () => await RegistrationDataAsync(example) is var data
            && data.Text("status") == WaitingForRetry && data.Text("lastError")!.Contains("WRONGTYPE", StringComparison.Ordinal),
            "the batch failed and waits to be run again");
        Assert.Equal(6, await PendingAsync(example, "orders")); // the batch's entries are kept, not acknowledged
        // Run again (every second), the batch delivers ann's and bob's orders again: they were written
        // before the failure, and are not counted twice.
        await Wait.UntilAsync(async () => (await RegistrationDataAsync(example)).Integer("numFailures") >= before.Integer("numFailures") + 2, "the batch has run again, and failed again");
        Assert.Equal(Hash("3", "3.50"), Without("lastId", await HashAsync(example, "customer:" + ann)));
        Assert.Equal(Hash("2", "10.01"), Without("lastId", await HashAsync(example, "customer:" + bob)));

        await example.DirectAsync("DEL", "customer:" + bad); // the write can succeed now

        await Wait.UntilAsync(async () => (await HashAsync(example, "customer:" + bad)).Count > 0, "the batch succeeds");
        Assert.Equal(Hash("1", "5.00"), Without("lastId", await HashAsync(example, "customer:" + bad)));
        Assert.Equal(Hash("3", "3.50"), Without("lastId", await HashAsync(example, "customer:" + ann)));
        Assert.Equal(Hash("2", "10.01"), Without("lastId", await HashAsync(example, "customer:" + bob)));
        await Wait.UntilAsync(async () => await PendingAsync(example, "orders") == 0, "the batch is acknowledged");
        Assert.Equal("OK", (await RegistrationDataAsync(example)).Text("status"));

        static Dictionary<string, string> Hash(string orders, string total) => new() { ["orders"] = orders, ["total"] = total };
    }

    // ---- stream-write-behind-postgres.csx ---------------------------------------------------------

    [Fact]
    [ExampleScriptTests.Example("stream-write-behind-postgres.csx")]
    public async Task WriteBehindWritesEveryEntryOfEveryStreamAsOneRowInBatches()
    {
        var example = await servers.WriteBehindAsync();
        var before = await RegistrationDataAsync(example);
        var name = GearsFixture.Unique("events:wb");
        var (clicks, views) = (name + ":clicks", name + ":views");
        // 250 entries over two streams, interleaved; one with text JSON must escape, one not ASCII.
        List<(string Stream, string[] Fields)> entries =
        [
            .. Enumerable.Range(0, 248).Select(i => (i % 3 == 0 ? views : clicks, new[] { "user", (i % 17).ToString(CultureInfo.InvariantCulture), "page", $"/p/{i}" })),
            (clicks, ["note", "say \"hi\" \\ \t there", "user", "7"]),
            (views, ["city", Latin1("Zürich, café")]),
        ];

        var ids = await AddAsync(example, entries);

        await Wait.UntilAsync(async () => await CountRowsAsync(clicks, views) == entries.Count, "every entry is a row");
        var expected = entries.Select((entry, i) => Row(entry.Stream, ids[i], FromLatin1(entry.Fields)));
        Assert.Equal(Ordered(expected), Ordered(await RowsAsync(clicks, views)), RowComparer.Exact);
        var batches = (await RegistrationDataAsync(example)).Integer("numTriggered") - before.Integer("numTriggered");
        Assert.InRange(batches, 3, 60); // a stream's batches are its own: at least 2 of clicks' 166 and 1 of views' 84; far fewer than 250
        await Wait.UntilAsync(async () => await example.DirectAsync("XLEN", clicks) == ":0\r\n" && await example.DirectAsync("XLEN", views) == ":0\r\n",
            "the written entries are acknowledged and trimmed");
        await example.AssertNoFailuresSinceAsync(new ExampleScriptTests.Failures(before.Integer("numFailures"), ""));
    }

    [Fact]
    [ExampleScriptTests.Example("stream-write-behind-postgres.csx")]
    public async Task WriteBehindKeepsEntriesWhilePostgresRefusesThemThenWritesEachExactlyOnce()
    {
        var example = await servers.WriteBehindAsync();
        var before = await RegistrationDataAsync(example);
        var stream = GearsFixture.Unique("events:retry");
        var postgres = await servers.PostgresAsync();
        postgres.Psql("ALTER TABLE stream_events RENAME TO stream_events_away"); // every INSERT fails now

        List<(string Stream, string[] Fields)> entries = [.. Enumerable.Range(0, 150).Select(i => (stream, new[] { "n", i.ToString(CultureInfo.InvariantCulture) }))];
        var ids = await AddAsync(example, entries);

        await Wait.UntilAsync(async () => await RegistrationDataAsync(example) is var data
            && data.Text("status") == WaitingForRetry && data.Text("lastError")!.Contains("relation \"stream_events\" does not exist", StringComparison.Ordinal),
            "the batch failed and waits to be run again");
        Assert.Equal(":150\r\n", await example.DirectAsync("XLEN", stream)); // nothing acknowledged, nothing trimmed
        Assert.InRange(await PendingAsync(example, stream), 1, 100); // the failed batch, delivered and kept
        // As if an earlier delivery of the first ten had got in before the gateway died: the batch
        // that brings them again must neither fail on them nor write them twice.
        await using (var insert = servers.Database.CreateCommand(
            "INSERT INTO stream_events_away SELECT $1, id, timestamptz 'epoch', '{\"n\":\"earlier\"}' FROM unnest($2::text[]) AS ids (id)"))
        {
            insert.Parameters.AddWithValue(stream);
            insert.Parameters.AddWithValue(ids[..10]);
            Assert.Equal(10, await insert.ExecuteNonQueryAsync());
        }

        postgres.Psql("ALTER TABLE stream_events_away RENAME TO stream_events");

        await Wait.UntilAsync(async () => await CountRowsAsync(stream) == entries.Count, "every entry is a row");
        var expected = entries.Select((entry, i) => Row(stream, ids[i], i < 10 ? new() { ["n"] = "earlier" } : FromLatin1(entry.Fields)));
        Assert.Equal(Ordered(expected), Ordered(await RowsAsync(stream)), RowComparer.IgnoringTime);
        Assert.True((await RegistrationDataAsync(example)).Integer("numFailures") > before.Integer("numFailures"));
        await Wait.UntilAsync(async () => await example.DirectAsync("XLEN", stream) == ":0\r\n", "the written entries are acknowledged and trimmed");
        Assert.Equal("OK", (await RegistrationDataAsync(example)).Text("status"));
    }

    // ---- helpers ----------------------------------------------------------------------------------

    /// <summary>XADD of each entry (id "*"), pipelined on one connection straight to Redis, as a producer's burst; their ids.</summary>
    private static async Task<string[]> AddAsync(Installation example, IReadOnlyList<(string Stream, string[] Fields)> entries)
    {
        await using var client = await RawClient.ConnectAsync(example.Backend.Port);
        await client.SendAsync([.. entries.SelectMany(entry => RawClient.Encode(["XADD", entry.Stream, "*", .. entry.Fields]))]);
        var ids = new string[entries.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = Assert.IsType<string>(Reply.Parse(await client.ReadAsync()));
        }
        return ids;
    }

    /// <summary>The RegistrationData of the example's one registration.</summary>
    private static async Task<Pairs> RegistrationDataAsync(Installation example) =>
        new Pairs(Assert.Single(Assert.IsType<object?[]>(Reply.Parse(await example.RawAsync("RG.DUMPREGISTRATIONS"))))).Map("RegistrationData");

    /// <summary>Entries delivered to the stream's one consumer group and not acknowledged.</summary>
    private static async Task<long> PendingAsync(Installation example, string stream) =>
        new Pairs(Assert.Single(Assert.IsType<object?[]>(Reply.Parse(await example.DirectAsync("XINFO", "GROUPS", stream))))).Integer("pending");

    private static async Task<Dictionary<string, string>> HashAsync(Installation example, string key) =>
        Reply.Strings(Reply.Parse(await example.DirectAsync("HGETALL", key))).Chunk(2).ToDictionary(pair => pair[0], pair => pair[1]);

    private static Dictionary<string, string> Without(string field, Dictionary<string, string> hash)
    {
        Assert.True(hash.Remove(field), $"no {field} in {string.Join(", ", hash)}");
        return hash;
    }

    // The raw client sends each character as one byte: UTF-8 text goes as its bytes' characters.
    private static string Latin1(string text) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(text));

    private static Dictionary<string, string> FromLatin1(string[] fields) =>
        fields.Chunk(2).ToDictionary(pair => pair[0], pair => Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(pair[1])));

    private sealed record TableRow(string Stream, string EntryId, DateTime AddedAt, Dictionary<string, string> Fields);

    private static TableRow Row(string stream, string id, Dictionary<string, string> fields) =>
        new(stream, id, DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(id[..id.IndexOf('-')], CultureInfo.InvariantCulture)).UtcDateTime, fields);

    // By stream, then by id as a stream orders them.
    private static TableRow[] Ordered(IEnumerable<TableRow> rows) =>
        [.. rows.OrderBy(row => row.Stream, StringComparer.Ordinal).ThenBy(row => long.Parse(row.EntryId[..row.EntryId.IndexOf('-')], CultureInfo.InvariantCulture))
            .ThenBy(row => long.Parse(row.EntryId[(row.EntryId.IndexOf('-') + 1)..], CultureInfo.InvariantCulture))];

    private async Task<long> CountRowsAsync(params string[] streams)
    {
        await using var count = servers.Database.CreateCommand("SELECT count(*) FROM stream_events WHERE stream = ANY($1)");
        count.Parameters.AddWithValue(streams);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    private async Task<List<TableRow>> RowsAsync(params string[] streams)
    {
        await using var select = servers.Database.CreateCommand("SELECT stream, entry_id, added_at, fields::text FROM stream_events WHERE stream = ANY($1)");
        select.Parameters.AddWithValue(streams);
        await using var reader = await select.ExecuteReaderAsync();
        var rows = new List<TableRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new TableRow(reader.GetString(0), reader.GetString(1), reader.GetDateTime(2),
                JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(3))!));
        }
        return rows;
    }

    /// <summary>Rows equal field by field, the fields as a map (their JSON's order and escapes aside).</summary>
    private sealed class RowComparer(bool compareTime) : IEqualityComparer<TableRow>
    {
        public static readonly RowComparer Exact = new(compareTime: true);

        /// <summary>Rows written by hand in a test carry no real time.</summary>
        public static readonly RowComparer IgnoringTime = new(compareTime: false);

        public bool Equals(TableRow? x, TableRow? y) =>
            x is not null && y is not null && x.Stream == y.Stream && x.EntryId == y.EntryId
            && (!compareTime || x.AddedAt == y.AddedAt)
            && x.Fields.Count == y.Fields.Count && x.Fields.All(field => y.Fields.TryGetValue(field.Key, out var value) && value == field.Value);

        public int GetHashCode(TableRow row) => HashCode.Combine(row.Stream, row.EntryId);
    }

    /// <summary>Each example's gateway, installed on its first use, and the PostgreSQL of the write-behind.</summary>
    public sealed class Servers : IAsyncLifetime
    {
        private readonly Lazy<Task<PostgresServer>> _postgres = new(() => Task.Run(StartPostgres));
        private readonly Lazy<Task<Installation>> _orders = new(() => InstallAsync("stream-orders-by-customer.csx"));
        private readonly Lazy<Task<Installation>> _writeBehind;
        private NpgsqlDataSource? _database;

        public Servers() => _writeBehind = new(InstallWriteBehindAsync);

        /// <summary>Npgsql on the tests' PostgreSQL, to read (and write) the table; made with the write-behind installation.</summary>
        public NpgsqlDataSource Database => _database ?? throw new InvalidOperationException("the write-behind example is not installed");

        public Task<PostgresServer> PostgresAsync() => _postgres.Value;

        public Task<Installation> OrdersAsync() => _orders.Value;

        public Task<Installation> WriteBehindAsync() => _writeBehind.Value;

        public Task InitializeAsync() => Task.CompletedTask;

        private static PostgresServer StartPostgres()
        {
            var postgres = new PostgresServer();
            postgres.Psql("""
                CREATE TABLE stream_events (stream text NOT NULL, entry_id text NOT NULL, added_at timestamptz NOT NULL,
                                            fields json NOT NULL, PRIMARY KEY (stream, entry_id));
                """);
            return postgres;
        }

        private async Task<Installation> InstallWriteBehindAsync()
        {
            var postgres = await PostgresAsync();
            _database = NpgsqlDataSource.Create(postgres.ConnectionString);
            return await InstallAsync("stream-write-behind-postgres.csx", "PostgresConnection", postgres.ConnectionString);
        }

        // Installed as the README says; then, as a producer may XADD at once, until the gateway listens
        // to xadd (RG.CSEXECUTE answers before it does: a stream created meanwhile is found at its next XADD).
        private static async Task<Installation> InstallAsync(string fileName, params string[] configuration)
        {
            var installation = await ExampleScriptTests.Servers.InstallNewAsync(fileName, configuration);
            await Engine.Gears.WaitUntilListeningAsync(installation.DirectAsync, "xadd");
            return installation;
        }

        public async Task DisposeAsync()
        {
            foreach (var installation in new[] { _orders, _writeBehind })
            {
                if (installation.IsValueCreated && installation.Value.IsCompletedSuccessfully)
                {
                    await installation.Value.Result.DisposeAsync();
                }
            }
            if (_database is not null)
            {
                await _database.DisposeAsync();
            }
            if (_postgres.IsValueCreated && _postgres.Value.IsCompletedSuccessfully)
            {
                await _postgres.Value.Result.DisposeAsync();
            }
        }
    }
}
