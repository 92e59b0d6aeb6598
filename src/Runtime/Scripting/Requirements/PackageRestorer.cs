using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using SharpGears.Api;

namespace SharpGears.Runtime.Scripting.Requirements;

/// <summary>
/// Restores sets of NuGet requirements with the SDK's own restore: for each distinct set, a project of
/// its own under <c>&lt;data-dir&gt;/requirements/sets/&lt;set id&gt;</c> that references the packages,
/// restored into the shared packages folder <c>&lt;data-dir&gt;/requirements/packages</c>; then
/// obj/project.assets.json says what the closure is and where its assemblies are. A set restored once
/// is read from there afterwards (also after a restart, with no network), until a reinstall.
/// </summary>
internal sealed partial class PackageRestorer(string directory, ILogger logger, TimeSpan? timeout = null)
{
    private const string ProjectFile = "requirements.csproj";

    /// <summary>How long one restore may take (downloads included) before it is given up.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    // Files that stop the generated project from inheriting the settings of the folders above it (the
    // default --data-dir, ./data, is inside a repository with its own build settings and central
    // package versions) and from an SDK pinned there.
    private static readonly (string Name, string Text)[] s_isolation =
    [
        ("Directory.Build.props", "<Project />\n"),
        ("Directory.Build.targets", "<Project />\n"),
        ("Directory.Packages.props", "<Project />\n"),
        ("global.json", """{ "sdk": { "rollForward": "latestMajor" } }""" + "\n"),
    ];

    private readonly TimeSpan _timeout = timeout ?? DefaultTimeout;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _sets = new();
    // One restore at a time: a reinstall deletes package folders that another restore could be reading.
    private readonly SemaphoreSlim _restores = new(1, 1);

    /// <summary>The packages cache all sets share.</summary>
    public string PackagesFolder { get; } = Path.GetFullPath(Path.Combine(directory, "packages"));

    /// <summary>
    /// The restored closure of <paramref name="requirements"/>, from the cache when it was restored
    /// before; <paramref name="reinstall"/> resolves and extracts its packages again. Throws a
    /// <see cref="GearsException"/> naming the requirements that could not be restored, and why.
    /// </summary>
    public async Task<RestoredPackages> RestoreAsync(RequirementSet requirements, bool reinstall = false, CancellationToken cancellation = default)
    {
        if (requirements.IsEmpty)
        {
            return RestoredPackages.None;
        }
        var folder = Path.GetFullPath(Path.Combine(directory, "sets", requirements.Id));
        var project = ProjectText(requirements);
        // Submissions of one set wait for each other: the second finds the first's restore done.
        var set = _sets.GetOrAdd(folder, _ => new SemaphoreSlim(1, 1));
        await set.WaitAsync(cancellation);
        try
        {
            if (!reinstall && Cached(folder, project, requirements) is { } cached)
            {
                return cached;
            }
            await _restores.WaitAsync(cancellation);
            try
            {
                if (reinstall)
                {
                    Uninstall(folder, requirements);
                }
                Directory.CreateDirectory(folder);
                foreach (var (name, text) in s_isolation)
                {
                    File.WriteAllText(Path.Combine(folder, name), text);
                }
                File.WriteAllText(Path.Combine(folder, ProjectFile), project);
                var started = Stopwatch.GetTimestamp();
                var (exitCode, output) = await RunRestoreAsync(folder, requirements, reinstall, cancellation);
                var assets = ProjectAssets.Read(AssetsPath(folder), HostAssemblies.TargetFramework);
                if (exitCode != 0 || assets is null || assets.Errors.Count > 0)
                {
                    var error = Failure(requirements, assets?.Errors ?? [], output);
                    LogRestoreFailed(logger, string.Join(", ", requirements.Requirements), error);
                    throw new GearsException(error);
                }
                var restored = new RestoredPackages(requirements, assets.Packages, PackagesFolder);
                LogRestored(logger, string.Join(", ", restored.Requirements), assets.Packages.Count, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, folder);
                return restored;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
            {
                throw new GearsException($"requirements {string.Join(", ", requirements.Requirements)} could not be restored: {e.Message}");
            }
            finally
            {
                _restores.Release();
            }
        }
        finally
        {
            set.Release();
        }
    }

    // Exact versions ([1.2.3]: what == means), or NuGet's floating * for the latest stable one. Audit is
    // off: it would ask the network about vulnerabilities on every restore.
    private static string ProjectText(RequirementSet requirements) =>
        $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <!-- Generated by SharpGears to restore a session's NuGet requirements; it is never built. -->
          <PropertyGroup>
            <TargetFramework>{HostAssemblies.TargetFramework}</TargetFramework>
            <NuGetAudit>false</NuGetAudit>
          </PropertyGroup>
          <ItemGroup>
        {string.Concat(requirements.Requirements.Select(r => $"    <PackageReference Include=\"{r.Name}\" Version=\"{r.VersionRange}\" />\n"))}  </ItemGroup>
        </Project>

        """;

    private static string AssetsPath(string folder) => Path.Combine(folder, "obj", "project.assets.json");

    // The set as restored before: the same project, restored without errors, every assembly still there.
    private RestoredPackages? Cached(string folder, string project, RequirementSet requirements)
    {
        var projectPath = Path.Combine(folder, ProjectFile);
        // NuGet ignores the case of ids and versions, and so does a set: Humanizer.Core is humanizer.core.
        if (!File.Exists(projectPath) || !string.Equals(File.ReadAllText(projectPath), project, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var assets = ProjectAssets.Read(AssetsPath(folder), HostAssemblies.TargetFramework);
        if (assets is null || assets.Errors.Count > 0
            || !assets.Packages.All(p => p.CompileAssemblies.Concat(p.RuntimeAssemblies).All(File.Exists))
            || !requirements.Requirements.All(r => assets.Packages.Any(p => p.Name.Equals(r.Name, StringComparison.OrdinalIgnoreCase))))
        {
            return null;
        }
        return new RestoredPackages(requirements, assets.Packages, PackagesFolder);
    }

    // Forgets the set's restore and the extracted packages it names, so that they are resolved and
    // downloaded again. Sessions already running keep theirs: their load contexts loaded them.
    private void Uninstall(string folder, RequirementSet requirements)
    {
        var previous = ProjectAssets.Read(AssetsPath(folder), HostAssemblies.TargetFramework)?.Packages ?? [];
        var packageFolders = requirements.Requirements
            .SelectMany(r => previous.Where(p => p.Name.Equals(r.Name, StringComparison.OrdinalIgnoreCase)).Select(p => p.Folder)
                .Append(r.Version is null ? null : Path.Combine(PackagesFolder, r.Key, r.Version.ToLowerInvariant())))
            .OfType<string>()
            .Append(folder);
        foreach (var path in packageFolders.Distinct())
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
    }

    private async Task<(int ExitCode, string Output)> RunRestoreAsync(string folder, RequirementSet requirements, bool reinstall, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo(DotnetSdk.Find())
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["restore", ProjectFile, "--packages", PackagesFolder, "--disable-build-servers", "-nodeReuse:false", "--verbosity", "minimal"])
        {
            start.ArgumentList.Add(argument);
        }
        if (reinstall)
        {
            start.ArgumentList.Add("--force");
            start.ArgumentList.Add("--no-http-cache");
        }
        // English, so that messages read the same everywhere; no build servers left running afterwards;
        // nothing of an MSBuild that may have started this process (dotnet test) leaks into the restore.
        start.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        foreach (var inherited in (string[])["MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH"])
        {
            start.Environment.Remove(inherited);
        }
        using var process = Process.Start(start) ?? throw new GearsException($"{start.FileName} could not be started to restore requirements");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(_timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellation.ThrowIfCancellationRequested();
            throw new GearsException($"requirements {string.Join(", ", requirements.Requirements)} could not be restored within {(long)_timeout.TotalSeconds} s (is the package source reachable?)");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"\berror (?<code>[A-Z]+\d+): ?(?<message>.*)$", RegexOptions.Multiline)]
    private static partial Regex ErrorLine();

    /// <summary>
    /// "requirement NoSuchPackage==1.0.0 could not be restored: Unable to find package NoSuchPackage. ...
    /// (NU1101)": the requirements the errors are about (all of them when the errors name none, as for
    /// a dependency that is missing), then NuGet's errors. They come from the assets file, where NuGet
    /// names the package of each error, or else from the lines "error NUxxxx: ..." of the output.
    /// </summary>
    internal static string Failure(RequirementSet requirements, IReadOnlyList<ProjectAssets.RestoreError> errors, string output)
    {
        if (errors.Count == 0)
        {
            // A message's further lines repeat its code ("error NU1102:   - Found 2 version(s) ...").
            errors = [.. ErrorLine().Matches(output)
                .GroupBy(m => m.Groups["code"].Value)
                .Select(g => new ProjectAssets.RestoreError(g.Key, string.Join("\n", g.Select(m => m.Groups["message"].Value.TrimEnd())), null))];
        }
        var culprits = requirements.Requirements
            .Where(r => errors.Any(e => string.Equals(e.Package, r.Name, StringComparison.OrdinalIgnoreCase)
                || (e.Package is null && Regex.IsMatch(e.Message, $@"\b{Regex.Escape(r.Name)}\b", RegexOptions.IgnoreCase))))
            .ToList();
        if (culprits.Count == 0)
        {
            culprits = [.. requirements.Requirements];
        }
        var why = errors.Count > 0
            ? string.Join("; ", errors.Select(e => $"{Flatten(e.Message)} ({e.Code})"))
            : "dotnet restore failed: " + Flatten(string.Join("\n", output.Split('\n').Where(line => line.Trim().Length > 0).TakeLast(5)));
        return $"{(culprits.Count == 1 ? "requirement" : "requirements")} {string.Join(", ", culprits)} could not be restored: {why}";
    }

    // NuGet's messages span lines ("Unable to find ... \n  - Found 2 version(s) ..."); a reply is one line.
    private static string Flatten(string message) =>
        string.Join(" ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored requirements {Requirements} ({Packages} packages) in {Milliseconds} ms into {Folder}")]
    private static partial void LogRestored(ILogger logger, string requirements, int packages, long milliseconds, string folder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Requirements {Requirements} were not restored: {Error}")]
    private static partial void LogRestoreFailed(ILogger logger, string requirements, string error);
}
