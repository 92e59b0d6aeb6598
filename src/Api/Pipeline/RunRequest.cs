namespace SharpGears.Api.Pipeline;

/// <summary>
/// A pipeline and the arguments of its <c>Run</c> call, handed to the engine: the reader's name and,
/// for a generator reader, its records; the key pattern (KeysReader, KeysOnlyReader) with
/// <paramref name="NoScan"/>, <paramref name="ReadValue"/> and the scan's <paramref name="Count"/>; for the
/// StreamReader the stream's key (<paramref name="Pattern"/>) and the first id to read (<paramref name="FromId"/>).
/// </summary>
internal sealed record RunRequest(
    string Reader,
    object? Source,
    IReadOnlyList<Step> Steps,
    string Pattern,
    bool NoScan,
    bool ReadValue,
    int Count,
    string FromId = "0-0");
