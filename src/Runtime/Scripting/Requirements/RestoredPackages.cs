namespace SharpGears.Runtime.Scripting.Requirements;

/// <summary>
/// A session's requirements once restored: the versions they resolved to, the closure of packages
/// they brought, and which of those packages' assemblies the script compiles against and its load
/// context loads (those the host does not provide instead, see <see cref="HostAssemblies"/>).
/// </summary>
internal sealed class RestoredPackages
{
    private readonly IReadOnlyList<RestoredPackage> _packages;

    public RestoredPackages(RequirementSet requirements, IReadOnlyList<RestoredPackage> packages, string packagesFolder)
    {
        _packages = packages;
        PackagesFolder = packagesFolder;
        var byName = packages.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        Requirements = [.. requirements.Requirements.Select(r => byName.TryGetValue(r.Name, out var package)
            ? new PackageRequirement(package.Name, package.Version)
            : throw new InvalidOperationException($"the restore of {r} did not resolve it"))];
        CompileAssemblies = [.. packages.SelectMany(p => p.CompileAssemblies).Where(a => !HostAssemblies.Provide(a)).Distinct()];
        var runtime = new Dictionary<string, string>();
        foreach (var assembly in packages.SelectMany(p => p.RuntimeAssemblies).Where(a => !HostAssemblies.Provide(a)))
        {
            runtime.TryAdd(Path.GetFileNameWithoutExtension(assembly), assembly);
        }
        RuntimeAssemblies = runtime;
    }

    public static RestoredPackages None { get; } = new(RequirementSet.Empty, [], "");

    /// <summary>The requirements with the versions they resolved to (the latest, for those that named none), by name.</summary>
    public IReadOnlyList<PackageRequirement> Requirements { get; }

    /// <summary>Where the packages are (the paths of <see cref="AssembliesOf"/> are relative to it).</summary>
    public string PackagesFolder { get; }

    /// <summary>The assemblies the script compiles against, besides the host's default references.</summary>
    public IReadOnlyList<string> CompileAssemblies { get; }

    /// <summary>The assemblies the session's load context loads itself, by simple name.</summary>
    public IReadOnlyDictionary<string, string> RuntimeAssemblies { get; }

    /// <summary>The version <paramref name="requirement"/> resolved to.</summary>
    public PackageRequirement Resolved(PackageRequirement requirement) =>
        Requirements.First(r => r.Key == requirement.Key);

    /// <summary>The compile assemblies of the package a <c>#r "nuget: ..."</c> line names.</summary>
    public IEnumerable<string> CompileAssembliesOf(PackageRequirement requirement) =>
        _packages.Where(p => p.Name.Equals(requirement.Name, StringComparison.OrdinalIgnoreCase))
            .SelectMany(p => p.CompileAssemblies)
            .Where(CompileAssemblies.Contains);

    /// <summary>
    /// The assemblies the session loads for <paramref name="requirement"/>: its package's and those of
    /// the packages it depends on, as paths relative to <see cref="PackagesFolder"/>.
    /// </summary>
    public IReadOnlyList<string> AssembliesOf(PackageRequirement requirement)
    {
        var byName = _packages.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var pending = new Stack<string>([requirement.Name]);
        var assemblies = new List<string>();
        while (pending.TryPop(out var name))
        {
            if (seen.Add(name) && byName.TryGetValue(name, out var package))
            {
                assemblies.AddRange(package.RuntimeAssemblies.Where(a => RuntimeAssemblies.Values.Contains(a)));
                foreach (var dependency in package.Dependencies)
                {
                    pending.Push(dependency);
                }
            }
        }
        return [.. assemblies.Select(a => Path.GetRelativePath(PackagesFolder, a)).Order(StringComparer.Ordinal)];
    }
}
