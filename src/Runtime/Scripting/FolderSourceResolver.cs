using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using SharpGears.Runtime.Loading;

namespace SharpGears.Runtime.Scripting;

/// <summary>
/// Resolves <c>#load "other.csx"</c> relative to the loading file, and only to files inside the
/// folder once links are followed: a script of the watched folder can share code with the files
/// beside it (or below it), never read a file from outside.
/// </summary>
internal sealed class FolderSourceResolver(string folder) : SourceReferenceResolver
{
    private readonly string _root = ConfinedPath.Real(folder);
    private readonly SourceFileResolver _files = new(ImmutableArray<string>.Empty, folder);

    public override string? NormalizePath(string path, string? baseFilePath) => _files.NormalizePath(path, baseFilePath);

    // null makes Roslyn report the #load as a file that cannot be found (CS1504).
    public override string? ResolveReference(string path, string? baseFilePath) =>
        _files.ResolveReference(path, baseFilePath) is { } resolved && ConfinedPath.IsInside(_root, resolved) ? resolved : null;

    public override Stream OpenRead(string resolvedPath) => _files.OpenRead(resolvedPath);

    public override bool Equals(object? other) => other is FolderSourceResolver resolver && resolver._root == _root;

    public override int GetHashCode() => _root.GetHashCode(StringComparison.Ordinal);
}
