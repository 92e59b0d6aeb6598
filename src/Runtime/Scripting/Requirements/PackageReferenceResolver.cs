using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace SharpGears.Runtime.Scripting.Requirements;

/// <summary>
/// Resolves a script's <c>#r "nuget: Package, Version"</c> lines to the assemblies of the package, once
/// its requirements are restored. Those assemblies are among the compilation's references already
/// (requirements from REQUIREMENTS have no line to resolve), and the very same reference objects are
/// handed back, so the compiler sees each once; a package whose assemblies the host provides (see
/// <see cref="HostAssemblies"/>) adds none, and its line resolves to a reference the compilation has
/// anyway (<paramref name="already"/>), since resolving to nothing is an error. Other <c>#r</c> forms
/// were refused before (<see cref="ReferenceDirectives"/>); one that got here resolves to nothing,
/// which the compiler reports.
/// </summary>
internal sealed class PackageReferenceResolver(
    RestoredPackages packages, IReadOnlyDictionary<string, PortableExecutableReference> references, PortableExecutableReference already)
    : MetadataReferenceResolver
{
    public override ImmutableArray<PortableExecutableReference> ResolveReference(string reference, string? baseFilePath, MetadataReferenceProperties properties)
    {
        if (!PackageRequirement.IsDirective(reference))
        {
            return [];
        }
        var own = packages.CompileAssembliesOf(PackageRequirement.FromDirective(reference)).Select(path => references[path]).ToImmutableArray();
        return own.IsEmpty ? [already] : own;
    }

    public override bool Equals(object? other) => ReferenceEquals(this, other);

    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);
}
