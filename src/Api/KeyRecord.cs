namespace SharpGears.Api;

/// <summary>A record of the KeysReader: one key, as an event or a scan found it.</summary>
/// <param name="Key">The key's name.</param>
/// <param name="Value">
/// Its value when read: a <see cref="string"/> for strings, an
/// <see cref="IReadOnlyDictionary{TKey, TValue}"/> of field to value for hashes, an
/// <see cref="IReadOnlyList{T}"/> for lists, null for other types, for a missing key, or when the
/// registration does not read values.
/// </param>
/// <param name="Type">Its Redis type ("string", "hash", ...), or "empty" when the key does not exist.</param>
/// <param name="Event">The keyspace event that produced the record ("set", "del", ...); null for a scan.</param>
public sealed record KeyRecord(string Key, object? Value, string Type, string? Event);
