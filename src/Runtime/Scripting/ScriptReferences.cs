using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using SharpGears.Api;

namespace SharpGears.Runtime.Scripting;

/// <summary>
/// What every script compiles against, built once per process and shared by all compilations
/// (reading metadata is most of a cold compile): the .NET shared framework, the Api,
/// StackExchange.Redis and Npgsql (the clients a read-through script needs), with the default imports that spare scripts `using` clutter. The engine's own
/// dependencies (ASP.NET Core, Roslyn, ...) are deliberately not visible to scripts.
/// </summary>
internal sealed class ScriptReferences
{
    private static readonly Lazy<ScriptReferences> s_default = new(() => new ScriptReferences());

    private ScriptReferences()
    {
        var framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var trusted = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => Path.GetDirectoryName(path) == framework);
        string[] own =
        [
            typeof(IGears).Assembly.Location,
            typeof(StackExchange.Redis.ConnectionMultiplexer).Assembly.Location,
            typeof(Npgsql.NpgsqlConnection).Assembly.Location,
        ];
        References = [.. trusted.Concat(own).Distinct().Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))];
    }

    public static ScriptReferences Default => s_default.Value;

    public ImmutableArray<MetadataReference> References { get; }

    /// <summary>
    /// <see cref="References"/> but those of the given assembly names: a session's packages bring their
    /// own versions of them (a package's Npgsql instead of the one the host ships).
    /// </summary>
    public IEnumerable<MetadataReference> Except(IReadOnlySet<string> assemblyNames) =>
        assemblyNames.Count == 0
            ? References
            : References.Where(r => !assemblyNames.Contains(Path.GetFileNameWithoutExtension(((PortableExecutableReference)r).FilePath)!));

    /// <summary>Namespaces a script may use without a `using` line.</summary>
    public ImmutableArray<string> Imports { get; } =
    [
        "System",
        "System.Linq",
        "System.Collections.Generic",
        "System.Threading.Tasks",
        "System.Text.Json",
        "SharpGears.Api",
        "StackExchange.Redis",
    ];
}
