using System.Reflection;
using System.Runtime.Loader;
using SharpGears.Api;

namespace SharpGears.Runtime.Loading;

/// <summary>
/// The collectible load context of one plugin. The plugin's private dependencies resolve from its
/// <c>.deps.json</c>, each its own copy even when the host has another version of it; the Api and the
/// shared frameworks resolve from the host, so the plugin's <see cref="IGearsPlugin"/> is the host's.
/// Assemblies are read into memory before they are loaded: no file of the plugin stays open, so it
/// can be replaced or deleted while it runs.
/// </summary>
internal sealed class PluginLoadContext(string sessionId, string pluginPath) : AssemblyLoadContext($"sharpgears-plugin:{sessionId}", isCollectible: true)
{
    private static readonly string s_apiName = typeof(IGears).Assembly.GetName().Name!;

    // The shared frameworks' assemblies (the base library, ASP.NET Core's) by name, with their paths:
    // one copy per process. The host's own dependencies (StackExchange.Redis, Npgsql, ...) are not
    // among them: a plugin that ships its own version of one of those gets it.
    private static readonly Lazy<Dictionary<string, string>> s_framework = new(() =>
    {
        var application = Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory);
        return ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => Path.GetDirectoryName(path) != application)
            .DistinctBy(path => Path.GetFileNameWithoutExtension(path), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(path => Path.GetFileNameWithoutExtension(path), StringComparer.OrdinalIgnoreCase);
    });

    private static readonly ConcurrentDictionary<string, Version?> s_frameworkVersions = new(StringComparer.OrdinalIgnoreCase);

    private readonly AssemblyDependencyResolver _resolver = new(pluginPath);

    /// <summary>Loads the plugin's own assembly, read into memory with its .pdb (stack traces then carry its source lines).</summary>
    public Assembly LoadPlugin() => LoadWithoutLocking(pluginPath);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name == s_apiName || IsProvidedByTheFramework(assemblyName))
        {
            return null; // the host's
        }
        // Not in the plugin's .deps.json: the host's copy, if it has one.
        return _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadWithoutLocking(path) : null;
    }

    // A framework assembly is the host's, unless the plugin asks for a newer version than the host
    // runs and ships it (a newer System.Text.Json package, say): the plugin then gets its own copy.
    private static bool IsProvidedByTheFramework(AssemblyName assemblyName)
    {
        if (!s_framework.Value.TryGetValue(assemblyName.Name!, out var path))
        {
            return false;
        }
        var provided = s_frameworkVersions.GetOrAdd(assemblyName.Name!, _ => AssemblyName.GetAssemblyName(path).Version);
        return assemblyName.Version is null || provided is null || assemblyName.Version <= provided;
    }

    // Native libraries cannot be loaded from memory: these are mapped from their files, as usual.
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;

    private Assembly LoadWithoutLocking(string path)
    {
        using var assembly = new MemoryStream(File.ReadAllBytes(path));
        var symbolsPath = Path.ChangeExtension(path, ".pdb");
        if (!File.Exists(symbolsPath))
        {
            return LoadFromStream(assembly);
        }
        using var symbols = new MemoryStream(File.ReadAllBytes(symbolsPath));
        return LoadFromStream(assembly, symbols);
    }
}
