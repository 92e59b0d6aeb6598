namespace SharpGears.Api;

/// <summary>A source of records of type <typeparamref name="TRecord"/>; see <see cref="Readers"/>.</summary>
/// <typeparam name="TRecord">The records it produces.</typeparam>
public sealed class Reader<TRecord>
{
    internal Reader(string name, object? source = null)
    {
        Name = name;
        Source = source;
    }

    /// <summary>The reader's name as RedisGears gives it ("KeysReader", "StreamReader", ...).</summary>
    public string Name { get; }

    /// <summary>What a generator reader reads: an <c>IEnumerable</c> or <c>IAsyncEnumerable</c> of records.</summary>
    internal object? Source { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
