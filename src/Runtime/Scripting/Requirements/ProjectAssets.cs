using System.Text.Json;

namespace SharpGears.Runtime.Scripting.Requirements;

/// <summary>
/// What <c>dotnet restore</c> wrote into obj/project.assets.json: the resolved closure of packages for
/// one target framework, where their files are, and the errors NuGet logged (code, message, package).
/// </summary>
internal sealed class ProjectAssets
{
    private ProjectAssets(IReadOnlyList<RestoredPackage> packages, IReadOnlyList<RestoreError> errors)
    {
        Packages = packages;
        Errors = errors;
    }

    /// <summary>An error NuGet logged; <paramref name="Package"/> is the package it is about, when it says.</summary>
    public sealed record RestoreError(string Code, string Message, string? Package);

    public IReadOnlyList<RestoredPackage> Packages { get; }

    public IReadOnlyList<RestoreError> Errors { get; }

    /// <summary>Reads the file; null when it is missing or not what NuGet writes.</summary>
    public static ProjectAssets? Read(string path, string targetFramework)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return From(document.RootElement, targetFramework);
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException or KeyNotFoundException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static ProjectAssets From(JsonElement root, string targetFramework)
    {
        var errors = new List<RestoreError>();
        if (root.TryGetProperty("logs", out var logs))
        {
            foreach (var log in logs.EnumerateArray())
            {
                if (log.GetProperty("level").GetString() == "Error")
                {
                    errors.Add(new RestoreError(
                        log.GetProperty("code").GetString()!,
                        log.GetProperty("message").GetString()!,
                        log.TryGetProperty("libraryId", out var package) ? package.GetString() : null));
                }
            }
        }
        var packageFolder = root.GetProperty("packageFolders").EnumerateObject().First().Name;
        var libraries = root.GetProperty("libraries");
        var packages = new List<RestoredPackage>();
        var target = root.GetProperty("targets").TryGetProperty(targetFramework, out var found) ? found.EnumerateObject() : default;
        foreach (var entry in target)
        {
            if (entry.Value.GetProperty("type").GetString() != "package")
            {
                continue;
            }
            var folder = Path.GetFullPath(Path.Combine(packageFolder, libraries.GetProperty(entry.Name).GetProperty("path").GetString()!));
            var (name, version) = (entry.Name.Split('/')[0], entry.Name.Split('/')[1]);
            packages.Add(new RestoredPackage(
                name,
                version,
                folder,
                entry.Value.TryGetProperty("dependencies", out var dependencies) ? [.. dependencies.EnumerateObject().Select(d => d.Name)] : [],
                Assemblies(entry.Value, "compile", folder),
                Assemblies(entry.Value, "runtime", folder)));
        }
        return new ProjectAssets(packages, errors);
    }

    // "_._" marks a framework the package supports with nothing to add (the framework has it already).
    private static List<string> Assemblies(JsonElement package, string kind, string folder) =>
        package.TryGetProperty(kind, out var assets)
            ? [.. assets.EnumerateObject()
                .Select(a => a.Name)
                .Where(a => a.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
                .Select(a => Path.GetFullPath(Path.Combine(folder, a)))]
            : [];
}
