namespace SharpGears.Api;

/// <summary>A source of records of type <typeparamref name="TRecord"/>; see <see cref="Readers"/>.</summary>
/// <typeparam name="TRecord">The records it produces.</typeparam>
public sealed class Reader<TRecord>
{
    internal Reader(string name) => Name = name;

    /// <summary>The reader's name as RedisGears gives it ("KeysReader", "StreamReader", ...).</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
