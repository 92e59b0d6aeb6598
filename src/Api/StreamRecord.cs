namespace SharpGears.Api;

/// <summary>A record of the StreamReader: one entry of a stream.</summary>
/// <param name="Key">The stream's key.</param>
/// <param name="Id">The entry's id, "1700000000000-0".</param>
/// <param name="Value">The entry's fields and their values, in the order the entry has them.</param>
public sealed record StreamRecord(string Key, string Id, IReadOnlyDictionary<string, string> Value);
