namespace SharpGears.Runtime.Scripting.Requirements;

/// <summary>
/// One package of a restored closure, as NuGet resolved it for the script's target framework: its
/// folder in the packages cache, the packages it depends on (by name), and the full paths of the
/// assemblies to compile against and to load. Native assets (runtimeTargets) are not among them:
/// scripts use managed assemblies only.
/// </summary>
internal sealed record RestoredPackage(
    string Name,
    string Version,
    string Folder,
    IReadOnlyList<string> Dependencies,
    IReadOnlyList<string> CompileAssemblies,
    IReadOnlyList<string> RuntimeAssemblies);
