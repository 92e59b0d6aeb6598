using SharpGears.Runtime.Loading;

namespace SharpGears.Runtime.Tests.Loading;

/// <summary>
/// The plugins folder hashes files again only when their size or time of last write changed; a
/// rewrite that keeps both (a file system with coarse times, a copy that keeps the time) must still
/// be seen when the file was hashed right after it was written.
/// </summary>
public sealed class FileHashesTests : IDisposable
{
    private readonly string _file = Path.Combine(Directory.CreateTempSubdirectory("sharpgears-hashes-").FullName, "plugin.dll");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_file)!, recursive: true);

    [Fact]
    public void ARewriteOfTheSameSizeAndTimeIsSeenWhenTheFileWasHashedJustAfterItsWrite()
    {
        var hashes = new FileHashes();
        File.WriteAllText(_file, "version 1");
        var written = File.GetLastWriteTimeUtc(_file);
        var first = hashes.Of(_file);
        Assert.Equal(first, hashes.Of(_file));

        File.WriteAllText(_file, "version 2");
        File.SetLastWriteTimeUtc(_file, written);

        Assert.NotEqual(first, hashes.Of(_file));
    }

    [Fact]
    public void AGoneFileThrowsAnIOException()
    {
        Assert.ThrowsAny<IOException>(() => new FileHashes().Of(_file));
    }
}
