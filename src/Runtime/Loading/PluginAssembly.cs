using System.Reflection;
using SharpGears.Api;
using SharpGears.Runtime.Engine.Sessions;

namespace SharpGears.Runtime.Loading;

/// <summary>
/// A plugin's assembly, loaded into a <see cref="PluginLoadContext"/> of its own. Running it creates
/// one instance of each public class that implements <see cref="IGearsPlugin"/> (in the order of
/// their names) and calls its <see cref="IGearsPlugin.Register"/>.
/// </summary>
internal sealed class PluginAssembly : SessionCode
{
    private readonly Assembly _assembly;

    private PluginAssembly(PluginLoadContext context, Assembly assembly) : base(context) => _assembly = assembly;

    /// <summary>Loads the plugin at <paramref name="path"/> as session <paramref name="sessionId"/>; nothing stays loaded when that fails.</summary>
    public static PluginAssembly Load(string sessionId, string path)
    {
        PluginLoadContext? context = null;
        try
        {
            context = new PluginLoadContext(sessionId, path);
            return new PluginAssembly(context, context.LoadPlugin());
        }
        catch (BadImageFormatException e)
        {
            context?.Unload();
            throw new GearsException(NotAWholeAssembly(path, e));
        }
        catch
        {
            context?.Unload();
            throw;
        }
    }

    /// <summary>What a plugin file that cannot be read as an assembly is told: most often a copy still under way.</summary>
    public static string NotAWholeAssembly(string path, BadImageFormatException e) =>
        $"{Path.GetFileName(path)} is not a .NET assembly, or not all of it is written yet ({e.Message})";

    public override Task RunAsync(IGears gears)
    {
        var plugins = _assembly.GetExportedTypes()
            .Where(type => type is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false } && typeof(IGearsPlugin).IsAssignableFrom(type))
            .OrderBy(type => type.FullName, StringComparer.Ordinal)
            .ToList();
        if (plugins.Count == 0)
        {
            throw new GearsException($"{_assembly.GetName().Name} has no public class implementing {typeof(IGearsPlugin).FullName}");
        }
        foreach (var type in plugins)
        {
            var constructor = type.GetConstructor(Type.EmptyTypes)
                ?? throw new GearsException($"{type.FullName} implements {nameof(IGearsPlugin)} but has no public parameterless constructor");
            // Without the TargetInvocationException around it, the plugin's own exception is what lastError shows.
            var plugin = (IGearsPlugin)constructor.Invoke(BindingFlags.DoNotWrapExceptions, binder: null, [], culture: null);
            plugin.Register(gears);
        }
        return Task.CompletedTask;
    }
}
