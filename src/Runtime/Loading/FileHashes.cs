using System.Security.Cryptography;

namespace SharpGears.Runtime.Loading;

/// <summary>
/// SHA-256 hashes of files, read again only when a file's size or time of last write changed, so that
/// scanning a folder of large assemblies every few seconds reads only what changed.
/// </summary>
internal sealed class FileHashes
{
    // File systems with coarse times (FAT: 2 s) could give a rewrite the time of the write before it;
    // a hash taken longer than that after the file's last write cannot be fooled that way.
    private static readonly TimeSpan s_coarsestTime = TimeSpan.FromSeconds(2);

    private readonly Dictionary<string, Entry> _known = [];
    private readonly HashSet<string> _used = [];

    /// <summary>The file's hash in hex. Throws <see cref="IOException"/> when it cannot be read (gone, say).</summary>
    public string Of(string path)
    {
        var info = new FileInfo(path);
        var (length, written) = (info.Length, info.LastWriteTimeUtc); // Length throws when the file is gone
        _used.Add(path);
        if (_known.TryGetValue(path, out var known) && known.Length == length && known.Written == written && known.HashedAt - written > s_coarsestTime)
        {
            return known.Hash;
        }
        var hashedAt = DateTime.UtcNow;
        string hash;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            hash = Convert.ToHexString(SHA256.HashData(file));
        }
        _known[path] = new Entry(length, written, hashedAt, hash);
        return hash;
    }

    /// <summary>Forgets the files not asked about since the last call: those are gone, or no longer of interest.</summary>
    public void ForgetUnused()
    {
        foreach (var path in _known.Keys.Where(path => !_used.Contains(path)).ToList())
        {
            _known.Remove(path);
        }
        _used.Clear();
    }

    private sealed record Entry(long Length, DateTime Written, DateTime HashedAt, string Hash);
}
