using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SharpGears.Api;

namespace SharpGears.Runtime.Scripting.Requirements;

/// <summary>
/// The <c>#r</c> lines of a script and of the files it <c>#load</c>s. Only NuGet packages can be
/// referenced (.NET, the Api, StackExchange.Redis and Npgsql are referenced already): a session's
/// assemblies then come from the packages cache, and are the same after a restart or on another machine.
/// </summary>
internal static class ReferenceDirectives
{
    /// <summary>The packages the lines name, and each line that names none, with its place and why.</summary>
    public static (List<PackageRequirement> Requirements, List<(Location Location, string Error)> Errors) Read(Compilation compilation)
    {
        var requirements = new List<PackageRequirement>();
        var errors = new List<(Location, string)>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            foreach (var directive in ((CompilationUnitSyntax)tree.GetRoot()).GetReferenceDirectives())
            {
                var reference = directive.File.ValueText;
                if (!PackageRequirement.IsDirective(reference))
                {
                    errors.Add((directive.GetLocation(), $"#r \"{reference}\": only NuGet packages can be referenced, as #r \"nuget: Package, Version\" (.NET, SharpGears.Api, StackExchange.Redis and Npgsql are referenced already)"));
                    continue;
                }
                try
                {
                    requirements.Add(PackageRequirement.FromDirective(reference));
                }
                catch (GearsException e)
                {
                    errors.Add((directive.GetLocation(), e.Message));
                }
            }
        }
        return (requirements, errors);
    }
}
