using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SharpGears.Runtime.Engine;
using SharpGears.Runtime.Hosting;

namespace SharpGears.Runtime.Loading;

/// <summary>
/// Watches the --scripts and --plugins folders, when they are given. Started after the engine and before the gateway:
/// the sessions of the files are in place when the first client connects.
/// </summary>
internal sealed class CodeFolders(IOptions<SharpGearsOptions> options, GearsEngine engine, ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan s_poll = TimeSpan.FromSeconds(5);
    private readonly List<FolderWatcher> _watchers = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var quiet = TimeSpan.FromMilliseconds(settings.ReloadDelay);
        if (settings.Scripts is { } scripts)
        {
            var logger = loggerFactory.CreateLogger<ScriptFolder>();
            var folder = new ScriptFolder(scripts, quiet, engine, logger);
            await StartAsync(new FolderWatcher(scripts, quiet, s_poll, folder.ScanAsync, logger));
        }
        if (settings.Plugins is { } plugins)
        {
            var logger = loggerFactory.CreateLogger<PluginFolder>();
            var folder = new PluginFolder(plugins, engine, logger);
            await StartAsync(new FolderWatcher(plugins, quiet, s_poll, folder.ScanAsync, logger));
        }
    }

    private async Task StartAsync(FolderWatcher watcher)
    {
        _watchers.Add(watcher);
        await watcher.StartAsync();
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var watcher in _watchers)
        {
            await watcher.DisposeAsync();
        }
        _watchers.Clear();
    }
}
