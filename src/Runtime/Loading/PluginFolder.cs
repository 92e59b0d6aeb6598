using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using GearsException = SharpGears.Api.GearsException;
using SharpGears.Runtime.Engine;
using SharpGears.Runtime.Engine.Sessions;

namespace SharpGears.Runtime.Loading;

/// <summary>
/// The --plugins folder. A plugin is a .NET assembly that references the Api, either directly in the
/// folder (<c>plugins/Name.dll</c>) or published into a subfolder of its own name
/// (<c>plugins/Name/Name.dll</c>, beside its dependencies: two plugins can then carry different
/// versions of one library). Other DLLs are a plugin's dependencies and are left alone. Each plugin is
/// a session named after its assembly. A scan loads the plugins that are new or changed (the DLL, its
/// .deps.json, and for a plugin in its own subfolder any file there), as RG.CSEXECUTE ... UPGRADE
/// would, and ends the sessions of those that are gone. A plugin that fails to load leaves its previous
/// version working, shows in RG.DUMPSESSIONS, and is tried again when it changes. Links that lead out
/// of the folder are ignored.
/// </summary>
internal sealed class PluginFolder(string folder, GearsEngine engine, ILogger logger)
{
    private readonly FileHashes _hashes = new();
    // What each plugin file was when it was last given to the engine, loaded or not: unchanged files are left alone.
    private readonly Dictionary<string, (string Id, string Fingerprint)> _given = [];
    // What each candidate DLL turned out to be, for the fingerprint it had: its metadata is read again only when it changes.
    private readonly Dictionary<string, (string Fingerprint, Candidate Candidate)> _read = [];
    private readonly IgnoredFiles _ignored = new(logger);

    /// <summary>Loads what changed; false: nothing is left for a later scan (a DLL being written fails to load, and loads when it changes).</summary>
    public async Task<bool> ScanAsync()
    {
        var root = ConfinedPath.Real(folder);
        var (found, unreadable) = Find(root);
        // Sessions end first, so that a plugin that moved (to its own subfolder, say) can load under its name.
        foreach (var (path, given) in _given.ToList())
        {
            if (!unreadable.Contains(path) && !(found.TryGetValue(given.Id, out var plugin) && plugin.Path == path))
            {
                _given.Remove(path);
                await engine.UnloadFileAsync(given.Id, path);
            }
        }
        foreach (var plugin in found.Values)
        {
            if (_given.TryGetValue(plugin.Path, out var given) && given == (plugin.Id, plugin.Fingerprint))
            {
                continue;
            }
            _given[plugin.Path] = (plugin.Id, plugin.Fingerprint);
            // A plugin's session keeps no code text: its origin, the DLL, is what it is built from.
            var definition = new SessionDefinition(plugin.Id, Code: "", Description: null, [], [], [], Origin: plugin.Path);
            await engine.LoadFromFileAsync(definition, () => LoadAsync(plugin), () => IsCurrent(plugin, root));
        }
        return false;
    }

    /// <summary>
    /// The plugins in the folder, by session id, and the DLLs that are there but could not be read
    /// (being replaced, say): what was loaded from those stays until a scan can read them.
    /// </summary>
    private (Dictionary<string, PluginFile> Found, HashSet<string> Unreadable) Find(string root)
    {
        var found = new Dictionary<string, PluginFile>();
        var unreadable = new HashSet<string>();
        var candidates = CandidatePaths(root).ToList();
        foreach (var path in candidates)
        {
            var name = Path.GetFileNameWithoutExtension(path);
            if (!FileSessionId.IsValid(name))
            {
                _ignored.Report(path, $"'{name}' cannot be a session id (letters, digits, '_', '-' and '.'); the file is ignored");
                continue;
            }
            if (!ConfinedPath.IsInside(root, path))
            {
                _ignored.Report(path, "it is a link that leads out of the plugins folder (or a loop of links); the file is ignored");
                continue;
            }
            PluginFile? plugin;
            try
            {
                plugin = Read(path, root);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (File.Exists(path))
                {
                    unreadable.Add(path);
                }
                continue;
            }
            if (plugin is null)
            {
                continue; // a dependency
            }
            if (!FileSessionId.IsValid(plugin.Id))
            {
                _ignored.Report(path, $"its assembly name '{plugin.Id}' cannot be a session id (letters, digits, '_', '-' and '.'); the file is ignored");
                continue;
            }
            if (found.TryGetValue(plugin.Id, out var other))
            {
                // One session per assembly name; the copy already loaded keeps it, so that a second copy does not take over.
                var (kept, ignored) = _given.ContainsKey(plugin.Path) && !_given.ContainsKey(other.Path) ? (plugin, other) : (other, plugin);
                found[plugin.Id] = kept;
                _ignored.Report(ignored.Path, $"assembly {plugin.Id} is loaded from {kept.Path}; this copy is ignored");
                continue;
            }
            found[plugin.Id] = plugin;
        }
        foreach (var path in _read.Keys.Except(candidates).ToList())
        {
            _read.Remove(path);
        }
        _hashes.ForgetUnused();
        return (found, unreadable);
    }

    // A plugin directly in the folder, or in a subfolder of its own name.
    private static IEnumerable<string> CandidatePaths(string root) =>
        Directory.EnumerateFiles(root, "*.dll", SearchOption.TopDirectoryOnly)
            .Concat(Directory.EnumerateDirectories(root)
                .Select(directory => Path.Combine(directory, Path.GetFileName(directory) + ".dll"))
                .Where(File.Exists))
            .Order(StringComparer.Ordinal);

    /// <summary>The plugin at <paramref name="path"/>, or null when the DLL is not one.</summary>
    private PluginFile? Read(string path, string root)
    {
        var fingerprint = Fingerprint(path, root);
        if (!_read.TryGetValue(path, out var read) || read.Fingerprint != fingerprint)
        {
            read = (fingerprint, Identify(path));
            _read[path] = read;
        }
        return read.Candidate.Id is { } id ? new PluginFile(path, id, fingerprint, read.Candidate.Problem) : null;
    }

    private Candidate Identify(string path)
    {
        try
        {
            return PluginMetadata.PluginName(File.ReadAllBytes(path)) is { } name ? new Candidate(name, Problem: null) : new Candidate(null, null);
        }
        catch (BadImageFormatException e)
        {
            // Reported as the plugin it may be once it is whole (a copy under way): under the name it was
            // loaded with, so that its loaded version stays, or else under its file's name.
            var id = _given.TryGetValue(path, out var given) ? given.Id : Path.GetFileNameWithoutExtension(path);
            return new Candidate(id, PluginAssembly.NotAWholeAssembly(path, e));
        }
    }

    private static Task<SessionCode> LoadAsync(PluginFile plugin) =>
        plugin.Problem is { } problem
            ? Task.FromException<SessionCode>(new GearsException(problem))
            : Task.FromResult<SessionCode>(PluginAssembly.Load(plugin.Id, plugin.Path));

    // Read again before the plugin's session takes over: one written meanwhile waits for the next scan.
    private bool IsCurrent(PluginFile plugin, string root)
    {
        try
        {
            return Fingerprint(plugin.Path, root) == plugin.Fingerprint;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// The DLL and its .deps.json; for a plugin in its own subfolder, every file there (its
    /// dependencies, their native libraries, ...). Throws <see cref="IOException"/> when one cannot be read.
    /// </summary>
    private string Fingerprint(string path, string root)
    {
        var directory = Path.GetDirectoryName(path)!;
        IEnumerable<string> files = directory == root
            ? [path, .. new[] { Path.ChangeExtension(path, ".deps.json") }.Where(File.Exists)]
            : Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal);
        var text = new StringBuilder();
        foreach (var file in files)
        {
            text.Append(Path.GetRelativePath(directory, file)).Append('\0').Append(_hashes.Of(file)).Append('\n');
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>
    /// What a DLL is: a plugin (<paramref name="Id"/>, its assembly's name), or a file that is not a
    /// whole assembly (<paramref name="Problem"/>, reported under the file's name), or neither (a dependency).
    /// </summary>
    private sealed record Candidate(string? Id, string? Problem);

    private sealed record PluginFile(string Path, string Id, string Fingerprint, string? Problem);
}
