using System.Reflection;
using SharpGears.Api;

namespace SharpGears.Runtime.Scripting.Requirements;

/// <summary>
/// Decides, for an assembly of a package, whether the host's copy serves the script instead. The Api
/// always comes from the host (a script's Api types must be the engine's). An assembly of the .NET
/// shared framework wins when its version is at least the package's, as the SDK decides for an
/// application (packages such as System.Text.Json 8 carry assemblies that .NET 10 has in newer
/// versions). Anything else of a package is the session's own, also when the host ships another
/// version of it (Npgsql, StackExchange.Redis): a session gets the versions it asked for.
/// </summary>
internal static class HostAssemblies
{
    private static readonly string s_framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
    private static readonly string s_api = typeof(IGears).Assembly.GetName().Name!;

    /// <summary>The target framework the host runs on (net10.0): packages are restored for it.</summary>
    public static string TargetFramework { get; } = $"net{Environment.Version.Major}.{Environment.Version.Minor}";

    /// <summary>The dotnet installation the host runs from (the folder above shared/Microsoft.NETCore.App/&lt;version&gt;).</summary>
    public static string DotnetRoot { get; } = Path.GetFullPath(Path.Combine(s_framework, "..", "..", ".."));

    /// <summary>True when the host's copy of the assembly at <paramref name="packageAssembly"/> is to be used.</summary>
    public static bool Provide(string packageAssembly)
    {
        var name = Path.GetFileNameWithoutExtension(packageAssembly);
        if (name == s_api)
        {
            return true;
        }
        var framework = Path.Combine(s_framework, Path.GetFileName(packageAssembly));
        return File.Exists(framework) && VersionOf(framework) >= VersionOf(packageAssembly);
    }

    private static Version VersionOf(string assembly)
    {
        try
        {
            return AssemblyName.GetAssemblyName(assembly).Version ?? new Version();
        }
        catch (BadImageFormatException)
        {
            return new Version(); // not an assembly: nothing to prefer it for
        }
    }
}
