namespace SharpGears.Api.Pipeline;

/// <summary>
/// A pipeline and the arguments of its <c>Register</c> call, handed to the engine: the KeysReader's
/// (prefix to commands), the CommandReader's (<paramref name="Trigger"/>, or <paramref name="Hook"/> and
/// <paramref name="KeyPrefix"/>), or the StreamReader's (prefix and <paramref name="Stream"/>; null when
/// the call gave none of its own, so its defaults).
/// </summary>
internal sealed record RegistrationRequest(
    string Reader,
    IReadOnlyList<Step> Steps,
    ExecutionMode Mode,
    string Prefix,
    IReadOnlyList<string>? EventTypes,
    IReadOnlyList<string>? KeyTypes,
    bool ReadValue,
    IReadOnlyList<string>? Commands,
    Action? OnRegistered,
    string? Trigger = null,
    string? Hook = null,
    string? KeyPrefix = null,
    StreamOptions? Stream = null);
