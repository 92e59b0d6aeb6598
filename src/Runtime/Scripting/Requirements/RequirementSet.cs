using System.Security.Cryptography;
using System.Text;
using SharpGears.Api;

namespace SharpGears.Runtime.Scripting.Requirements;

/// <summary>
/// The packages one session needs, from REQUIREMENTS and its <c>#r "nuget: ..."</c> lines together:
/// each package once, in one version (a session loads one version of an assembly). Sets with the same
/// packages are the same set, whatever their order or case, and share one restore.
/// </summary>
internal sealed class RequirementSet
{
    private RequirementSet(IReadOnlyList<PackageRequirement> requirements)
    {
        Requirements = requirements;
        var text = string.Join("\n", requirements.Select(r => $"{r.Key}=={r.Version?.ToLowerInvariant()}"));
        Id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }

    public static RequirementSet Empty { get; } = new([]);

    /// <summary>The requirements, each package once, sorted by name.</summary>
    public IReadOnlyList<PackageRequirement> Requirements { get; }

    /// <summary>Names the set (its folder in the cache): the same for the same packages and versions.</summary>
    public string Id { get; }

    public bool IsEmpty => Requirements.Count == 0;

    /// <summary>Throws a <see cref="GearsException"/> when one package is asked for in two versions.</summary>
    public static RequirementSet Of(IEnumerable<PackageRequirement> requirements)
    {
        var distinct = new Dictionary<string, PackageRequirement>();
        foreach (var requirement in requirements)
        {
            if (!distinct.TryGetValue(requirement.Key, out var other))
            {
                distinct[requirement.Key] = requirement;
            }
            else if (!string.Equals(other.Version, requirement.Version, StringComparison.OrdinalIgnoreCase))
            {
                throw new GearsException($"requirements {other} and {requirement} ask for two versions of one package: a session uses one version of a package");
            }
        }
        return distinct.Count == 0 ? Empty : new([.. distinct.Values.OrderBy(r => r.Key, StringComparer.Ordinal)]);
    }
}
