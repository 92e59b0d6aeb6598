namespace SharpGears.Runtime.Loading;

/// <summary>
/// Paths with their links followed, so that code is read only from inside the folder it was given:
/// a link in the scripts or plugins folder (or a <c>#load</c> of <c>../x</c>) cannot reach out of it.
/// </summary>
internal static class ConfinedPath
{
    private const int MaxLinks = 40; // Linux' own limit before ELOOP

    /// <summary><paramref name="path"/> made absolute, with every link on the way (the last part too) followed.</summary>
    public static string Real(string path) => Real(path, MaxLinks);

    /// <summary>
    /// True when <paramref name="path"/>, links followed, is strictly inside <paramref name="realRoot"/>
    /// (itself a <see cref="Real(string)"/> path); false for a loop of links, which leads nowhere.
    /// </summary>
    public static bool IsInside(string realRoot, string path)
    {
        var root = Path.TrimEndingDirectorySeparator(realRoot);
        try
        {
            return Real(path).StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string Real(string path, int linksLeft)
    {
        var full = Path.GetFullPath(path);
        var parent = Path.GetDirectoryName(full);
        if (parent is null)
        {
            return full; // the file system's root
        }
        var realParent = Real(parent, linksLeft);
        var real = Path.Combine(realParent, Path.GetFileName(full));
        if (new FileInfo(real).LinkTarget is not { } target)
        {
            return real;
        }
        if (linksLeft == 0)
        {
            throw new IOException($"{path}: too many levels of links");
        }
        return Real(Path.Combine(realParent, target), linksLeft - 1); // a relative target is relative to the link's folder
    }
}
