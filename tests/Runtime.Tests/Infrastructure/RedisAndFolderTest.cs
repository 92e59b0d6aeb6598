namespace SharpGears.Runtime.Tests.Infrastructure;

/// <summary>
/// A test class whose every test gets its own redis-server and an empty folder of its own, deleted
/// afterwards (xUnit makes one instance per test): for tests that start gateways themselves, as a
/// separate process or again after a restart, on a --data-dir or a folder of code they keep.
/// </summary>
public abstract class RedisAndFolderTest(string folderPrefix) : IAsyncLifetime
{
    protected RedisServer Redis { get; private set; } = null!;

    protected string Folder { get; } = Directory.CreateTempSubdirectory(folderPrefix).FullName;

    public virtual Task InitializeAsync()
    {
        Redis = new RedisServer();
        return Task.CompletedTask;
    }

    public virtual async Task DisposeAsync()
    {
        await Redis.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
