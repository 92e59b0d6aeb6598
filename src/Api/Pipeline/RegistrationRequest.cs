namespace SharpGears.Api.Pipeline;

/// <summary>A pipeline and the arguments of its <c>Register</c> call, handed to the engine.</summary>
internal sealed record RegistrationRequest(
    string Reader,
    IReadOnlyList<Step> Steps,
    ExecutionMode Mode,
    string Prefix,
    IReadOnlyList<string>? EventTypes,
    IReadOnlyList<string>? KeyTypes,
    bool ReadValue,
    IReadOnlyList<string>? Commands,
    Action? OnRegistered);
