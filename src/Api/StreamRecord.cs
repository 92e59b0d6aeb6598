namespace SharpGears.Api;

/// <summary>A record of the StreamReader: one entry of a stream.</summary>
/// <param name="Key">The stream's key.</param>
/// <param name="Id">The entry's id, "1700000000000-0".</param>
/// <param name="Value">The entry's fields and their values (as UTF-8 text), in the order the entry has them; a field given twice keeps its last value.</param>
public sealed record StreamRecord(string Key, string Id, IReadOnlyDictionary<string, string> Value);
