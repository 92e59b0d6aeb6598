using System.Reflection;
using System.Runtime.Loader;

namespace SharpGears.Runtime.Scripting;

/// <summary>
/// The collectible load context of one session's compiled code. Every assembly the code refers to
/// (the Api, StackExchange.Redis, the framework) resolves from the host, so the script's Api types
/// are the host's. Unloading it gives the session's memory back once nothing refers to its types.
/// </summary>
internal sealed class ScriptLoadContext(string name) : AssemblyLoadContext($"sharpgears-session:{name}", isCollectible: true)
{
    protected override Assembly? Load(AssemblyName assemblyName) => null; // defer to the host's context
}
