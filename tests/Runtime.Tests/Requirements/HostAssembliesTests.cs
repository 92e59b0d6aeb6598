using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SharpGears.Runtime.Scripting.Requirements;

namespace SharpGears.Runtime.Tests.Requirements;

/// <summary>
/// Which copy of a package's assembly a session uses: the .NET shared framework's when it is at least
/// as new, the Api always the host's, anything else the package's own.
/// </summary>
public sealed class HostAssembliesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sg-host-assemblies-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    // An assembly as a package would carry it: a name and a version, emitted into a folder of its own.
    private string Assembly(string name, string version)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_directory, $"{name}-{version}")).FullName;
        var path = Path.Combine(folder, name + ".dll");
        var compilation = CSharpCompilation.Create(
            name,
            [CSharpSyntaxTree.ParseText($"[assembly: System.Reflection.AssemblyVersion(\"{version}\")]")],
            [MetadataReference.CreateFromFile(typeof(object).Assembly.Location)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Assert.True(compilation.Emit(path).Success);
        return path;
    }

    [Fact]
    public void TheFrameworksCopyServesWhenItIsAtLeastAsNewAsThePackages()
    {
        Assert.True(HostAssemblies.Provide(Assembly("System.Text.Json", "8.0.0.0")));
        Assert.False(HostAssemblies.Provide(Assembly("System.Text.Json", "99.0.0.0")));
    }

    [Fact]
    public void TheApiIsAlwaysTheHostsAndAnythingElseThePackages()
    {
        Assert.True(HostAssemblies.Provide(Assembly("SharpGears.Api", "99.0.0.0")));
        Assert.False(HostAssemblies.Provide(Assembly("Humanizer", "2.14.0.0")));
        Assert.False(HostAssemblies.Provide(Assembly("Npgsql", "9.0.0.0"))); // the gateway ships one, but not as part of .NET
    }
}
