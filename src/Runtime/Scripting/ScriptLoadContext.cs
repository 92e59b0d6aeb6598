using System.Reflection;
using System.Runtime.Loader;
using SharpGears.Api;

namespace SharpGears.Runtime.Scripting;

/// <summary>
/// The collectible load context of one session's compiled code. The session's package assemblies
/// (<paramref name="packageAssemblies"/>, simple name → path) are its own: two sessions can use two
/// versions of one package at once. Everything else the code refers to (the Api, StackExchange.Redis,
/// the framework) resolves from the host, so the script's Api types are the host's. Unloading it gives
/// the session's memory back once nothing refers to its types.
/// </summary>
internal sealed class ScriptLoadContext : AssemblyLoadContext
{
    private readonly Dictionary<string, Assembly> _packages;

    public ScriptLoadContext(string name, IReadOnlyDictionary<string, string>? packageAssemblies = null)
        : base($"sharpgears-session:{name}", isCollectible: true)
    {
        // Loaded now, not when first used: an assembly that cannot load fails the submission rather than
        // a later execution, and a reinstall that replaces the files cannot pull them from under the session.
        try
        {
            _packages = (packageAssemblies ?? new Dictionary<string, string>()).ToDictionary(p => p.Key, p => LoadFromAssemblyPath(p.Value));
        }
        catch (Exception e) when (e is IOException or BadImageFormatException)
        {
            Unload();
            throw new GearsException($"a package assembly could not be loaded (FORCE_REINSTALL_REQUIREMENTS installs the packages again): {e.Message}");
        }
    }

    protected override Assembly? Load(AssemblyName assemblyName) =>
        _packages.GetValueOrDefault(assemblyName.Name ?? ""); // null defers to the host's context
}
