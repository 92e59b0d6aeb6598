using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace SharpGears.Runtime.Loading;

/// <summary>
/// Scans a folder when it starts, then again once the folder has stayed unchanged for
/// <paramref name="quiet"/> after a change (editors and build tools write in bursts: one scan sees
/// the finished files), and every <paramref name="poll"/> anyway, since a file-system watcher can
/// miss events (its buffer overflows, or the folder is on a network file system). A folder that keeps
/// changing is scanned once per <paramref name="poll"/>. A scan that throws is logged, and the next
/// change or poll scans again. A scan that answers true left a file for later (one written too recently
/// to be whole, say): the folder is scanned again after a quiet period.
/// </summary>
internal sealed partial class FolderWatcher(string folder, TimeSpan quiet, TimeSpan poll, Func<Task<bool>> scan, ILogger logger) : IAsyncDisposable
{
    private readonly Channel<bool> _changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stopping = new();
    private FileSystemWatcher? _watcher;
    private Task _loop = Task.CompletedTask;

    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>Creates the folder if need be, watches it, and returns once the first scan is done.</summary>
    public async Task StartAsync()
    {
        Directory.CreateDirectory(Folder);
        // Watching starts before the first scan, so a file written during it is not missed.
        _watcher = new FileSystemWatcher(Folder)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Created += (_, _) => Signal();
        _watcher.Changed += (_, _) => Signal();
        _watcher.Deleted += (_, _) => Signal();
        _watcher.Renamed += (_, _) => Signal();
        _watcher.Error += (_, e) =>
        {
            LogWatcherError(logger, e.GetException(), Folder);
            Signal();
        };
        _watcher.EnableRaisingEvents = true;
        await ScanAsync();
        _loop = Task.Run(LoopAsync);
    }

    private void Signal() => _changes.Writer.TryWrite(true);

    private async Task LoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (await WaitForChangeAsync(poll, token))
                {
                    // Waits until a whole quiet period passes without a change, but no longer than a poll:
                    // a folder that never stays quiet (a log written below it) is still scanned.
                    var waited = System.Diagnostics.Stopwatch.StartNew();
                    while (waited.Elapsed < poll && await WaitForChangeAsync(quiet, token))
                    {
                    }
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            await ScanAsync();
        }
    }

    private async Task<bool> WaitForChangeAsync(TimeSpan timeout, CancellationToken token)
    {
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(token);
        waiting.CancelAfter(timeout);
        try
        {
            await _changes.Reader.ReadAsync(waiting.Token);
            return true;
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task ScanAsync()
    {
        try
        {
            if (await scan())
            {
                Signal();
            }
        }
        catch (Exception e)
        {
            LogScanFailed(logger, e, Folder);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _watcher?.Dispose();
        await _stopping.CancelAsync();
        await _loop;
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watching {Folder} failed; it is scanned again")]
    private static partial void LogWatcherError(ILogger logger, Exception exception, string folder);

    [LoggerMessage(Level = LogLevel.Error, Message = "Scanning {Folder} failed; it is scanned again at its next change")]
    private static partial void LogScanFailed(ILogger logger, Exception exception, string folder);
}
