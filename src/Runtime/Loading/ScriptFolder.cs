using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using SharpGears.Runtime.Engine;
using SharpGears.Runtime.Engine.Sessions;

namespace SharpGears.Runtime.Loading;

/// <summary>
/// The --scripts folder: every <c>*.csx</c> directly in it (not below it, and not through a link that
/// leads out of it) is a session named after the file. A scan loads the files that are new or changed
/// (a file's own text or that of a file it <c>#load</c>s), as RG.CSEXECUTE ... UPGRADE would, and
/// ends the sessions of files that are gone. A file that fails to load leaves its previous version
/// working; it is tried again when it changes.
/// </summary>
internal sealed partial class ScriptFolder(string folder, TimeSpan quiet, GearsEngine engine, ILogger logger)
{
    // What each file was when it was last given to the engine, loaded or not: unchanged files are left alone.
    private readonly Dictionary<string, (string Path, string Fingerprint)> _given = [];
    private readonly IgnoredFiles _ignored = new(logger);

    private bool _started;

    /// <summary>Loads what changed; true when a file was left for a later scan (written too recently to be whole).</summary>
    public async Task<bool> ScanAsync()
    {
        // The files there at start load before the gateway serves: none is left for later.
        var first = !_started;
        _started = true;
        var deferred = false;
        var root = ConfinedPath.Real(folder);
        var found = new Dictionary<string, ScriptFile>();
        foreach (var path in Directory.EnumerateFiles(root, "*.csx", SearchOption.TopDirectoryOnly).Order(StringComparer.Ordinal))
        {
            var id = Path.GetFileNameWithoutExtension(path);
            if (!FileSessionId.IsValid(id))
            {
                _ignored.Report(path, $"'{id}' cannot be a session id (letters, digits, '_', '-' and '.'); the file is ignored");
            }
            else if (!ConfinedPath.IsInside(root, path))
            {
                _ignored.Report(path, "it is a link that leads out of the scripts folder (or a loop of links); the file is ignored");
            }
            else if (ScriptFile.Read(path, root) is { } file) // null: gone since it was listed
            {
                found[id] = file;
            }
        }
        foreach (var (id, file) in found)
        {
            if (_given.TryGetValue(id, out var given) && given == (file.Path, file.Fingerprint))
            {
                continue;
            }
            if (!first && DateTime.UtcNow - file.LastWritten < quiet)
            {
                deferred = true; // it may still be being written (a scan of the poll): the next scan takes it
                continue;
            }
            if (given.Path is not null && given.Path != file.Path)
            {
                await engine.UnloadFileAsync(id, given.Path);
            }
            _given[id] = (file.Path, file.Fingerprint);
            var definition = new SessionDefinition(id, file.Code, Description: null, [], [], [], Origin: file.Path);
            // The file is read again before its session takes over: one written meanwhile waits for the next scan.
            await engine.LoadFromFileAsync(definition, () => engine.CompileAsync(definition), () => ScriptFile.Read(file.Path, root)?.Fingerprint == file.Fingerprint);
        }
        foreach (var (id, given) in _given.Where(g => !found.ContainsKey(g.Key)).ToList())
        {
            _given.Remove(id);
            await engine.UnloadFileAsync(id, given.Path);
        }
        return deferred;
    }

    /// <summary>
    /// A script's text, a fingerprint of it and of the files it <c>#load</c>s (recursively), and when
    /// the last of them was written.
    /// </summary>
    private sealed partial record ScriptFile(string Path, string Code, string Fingerprint, DateTime LastWritten)
    {
        [GeneratedRegex("""^\s*#load\s+"(?<path>[^"]+)"(\s*//.*)?\s*$""", RegexOptions.Multiline)]
        private static partial Regex LoadDirective();

        /// <summary>The file, or null when it (or a file it loads) vanished while being read.</summary>
        public static ScriptFile? Read(string path, string root)
        {
            try
            {
                var code = File.ReadAllText(path);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                HashSet<string> files = [path];
                AddToHash(hash, path, code, root, files);
                return new ScriptFile(path, code, Convert.ToHexString(hash.GetHashAndReset()), files.Max(File.GetLastWriteTimeUtc));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        // A #load that leads out of the folder or to no file is left to the compiler to report.
        private static void AddToHash(IncrementalHash hash, string path, string code, string root, HashSet<string> seen)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(path + "\0" + code + "\0"));
            foreach (Match load in LoadDirective().Matches(code))
            {
                var loaded = System.IO.Path.GetFullPath(load.Groups["path"].Value, System.IO.Path.GetDirectoryName(path)!);
                if (seen.Add(loaded) && File.Exists(loaded) && ConfinedPath.IsInside(root, loaded))
                {
                    AddToHash(hash, loaded, File.ReadAllText(loaded), root, seen);
                }
            }
        }
    }
}
