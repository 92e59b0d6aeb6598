namespace SharpGears.Api;

/// <summary>
/// The entry point of a plugin assembly: SharpGears creates one instance of each public class that
/// implements it and calls <see cref="Register"/> once the assembly is loaded.
/// </summary>
public interface IGearsPlugin
{
    /// <summary>Called once after loading; the plugin makes its registrations here.</summary>
    /// <param name="gears">The engine's functions, by the same names a script uses.</param>
    void Register(IGears gears);
}
