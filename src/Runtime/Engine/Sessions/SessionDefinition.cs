namespace SharpGears.Runtime.Engine.Sessions;

/// <summary>
/// A session as it is stored: enough to build it again after a restart. <paramref name="RegistrationIds"/>
/// are the ids its registrations had, in the order the code makes them, so they keep their ids;
/// <paramref name="Unregistered"/> those of them removed with RG.UNREGISTER, which stay removed.
/// <paramref name="Origin"/> is the file the code comes from (a script of the --scripts folder, a
/// plugin): such sessions are not stored, their file is, and it is read again at start-up.
/// </summary>
internal sealed record SessionDefinition(
    string Id,
    string Code,
    string? Description,
    IReadOnlyList<string> Requirements,
    IReadOnlyList<string> RegistrationIds,
    IReadOnlyList<string> Unregistered,
    string? Origin = null);
