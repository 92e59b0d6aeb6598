namespace SharpGears.Api;

/// <summary>
/// The entry point of a plugin assembly (a DLL in SharpGears' <c>--plugins</c> folder): SharpGears
/// creates one instance of each public class that implements it, through its public parameterless
/// constructor, and calls <see cref="Register"/> once the assembly is loaded. The assembly is a
/// session named after it; each new version of the file is loaded anew, with new instances.
/// </summary>
public interface IGearsPlugin
{
    /// <summary>
    /// Called once after loading; the plugin makes its registrations here. They take the place of the
    /// previous version's only if this returns without an exception; an exception is reported
    /// (RG.DUMPSESSIONS shows it as the session's <c>lastError</c>) and the previous version stays.
    /// </summary>
    /// <param name="gears">The engine's functions, by the same names a script uses.</param>
    void Register(IGears gears);
}
