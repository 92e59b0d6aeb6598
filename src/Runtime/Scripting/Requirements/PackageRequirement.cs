using System.Text.RegularExpressions;
using SharpGears.Api;

namespace SharpGears.Runtime.Scripting.Requirements;

/// <summary>
/// A NuGet package a session needs: <c>Package==Version</c> after REQUIREMENTS, or
/// <c>#r "nuget: Package, Version"</c> in a script. A null <paramref name="Version"/> means the latest
/// stable version, found when the package is restored (NuGet's floating <c>*</c>); the session then
/// records the version it got.
/// </summary>
internal sealed partial record PackageRequirement(string Name, string? Version)
{
    // NuGet's id characters; a version as NuGet writes one (1.2, 1.2.3.4, 1.2.3-beta.1+build). Checking
    // both also keeps the generated project file free of anything but names and numbers.
    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")]
    private static partial Regex PackageId();

    [GeneratedRegex(@"^\d+(\.\d+){0,3}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")]
    private static partial Regex PackageVersion();

    private const string DirectivePrefix = "nuget:";

    /// <summary>NuGet compares ids without regard to case; so does a session's set of requirements.</summary>
    public string Key => Name.ToLowerInvariant();

    /// <summary><c>Package==Version</c> or <c>Package</c> (the latest), as REQUIREMENTS takes them.</summary>
    public static PackageRequirement FromRequirement(string text)
    {
        var parts = text.Split("==", 2);
        return Create(parts[0], parts.Length == 2 ? parts[1] : null, text, "write Package==Version, or Package for its latest version");
    }

    /// <summary>True when a <c>#r</c> directive names a NuGet package rather than a file.</summary>
    public static bool IsDirective(string reference) => reference.TrimStart().StartsWith(DirectivePrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary><c>nuget: Package, Version</c> or <c>nuget: Package</c> (the latest), as <c>#r</c> takes them.</summary>
    public static PackageRequirement FromDirective(string reference)
    {
        var parts = reference.TrimStart()[DirectivePrefix.Length..].Split(',', 2);
        return Create(parts[0], parts.Length == 2 ? parts[1] : null, reference, "write #r \"nuget: Package, Version\", or #r \"nuget: Package\" for its latest version");
    }

    private static PackageRequirement Create(string name, string? version, string text, string hint)
    {
        name = name.Trim();
        version = version?.Trim();
        if (!PackageId().IsMatch(name))
        {
            throw new GearsException($"requirement '{text}' does not name a NuGet package: {hint}");
        }
        if (version is not null && !PackageVersion().IsMatch(version))
        {
            throw new GearsException($"requirement '{text}' has no exact version ('{version}'): {hint}");
        }
        return new PackageRequirement(name, version);
    }

    /// <summary>The version as a PackageReference takes it: exactly this one, or the latest stable.</summary>
    public string VersionRange => Version is null ? "*" : $"[{Version}]";

    public override string ToString() => Version is null ? Name : $"{Name}=={Version}";
}
