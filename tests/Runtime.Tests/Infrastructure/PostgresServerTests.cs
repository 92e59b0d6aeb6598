using Npgsql;

namespace SharpGears.Runtime.Tests.Infrastructure;

/// <summary>The throwaway PostgreSQL the tests read from: seeded through psql, read through Npgsql, gone on dispose.</summary>
public sealed class PostgresServerTests
{
    [Fact]
    public async Task RowInsertedThroughPsqlIsReadBackThroughNpgsql()
    {
        await using var server = new PostgresServer();
        server.Psql("CREATE TABLE gears (id int PRIMARY KEY, name text NOT NULL); INSERT INTO gears VALUES (1, 'spur');");
        Assert.Equal("1|spur", server.Psql("SELECT id, name FROM gears"));

        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, name FROM gears", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(1, reader.GetInt32(0));
        Assert.Equal("spur", reader.GetString(1));
        Assert.False(await reader.ReadAsync());
    }

    [Fact]
    public async Task FailingSqlThrowsWithPsqlsError()
    {
        await using var server = new PostgresServer();
        var error = Assert.Throws<InvalidOperationException>(() => server.Psql("SELECT * FROM missing"));
        Assert.Contains("relation \"missing\" does not exist", error.Message);
    }

    [Fact]
    public async Task DisposeStopsTheServer()
    {
        var server = new PostgresServer();
        var connectionString = server.ConnectionString;
        await server.DisposeAsync();
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false;Timeout=2");
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => connection.OpenAsync());
    }
}
