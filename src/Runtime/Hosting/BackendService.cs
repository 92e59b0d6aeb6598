using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SharpGears.Runtime.Backend;

namespace SharpGears.Runtime.Hosting;

/// <summary>
/// Provides the backend Redis: the one named by --backend, or else an embedded redis-server that it
/// starts before the gateway and stops after it.
/// </summary>
internal sealed class BackendService(IOptions<SharpGearsOptions> options, ILoggerFactory loggerFactory) : IHostedService
{
    private BackendTarget? _target;

    /// <summary>The embedded server, when there is one.</summary>
    public EmbeddedRedisServer? Embedded { get; private set; }

    public BackendTarget Target => _target ?? throw new InvalidOperationException("The backend has not been started.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!string.IsNullOrWhiteSpace(settings.Backend))
        {
            try
            {
                _target = BackendTarget.Parse(settings.Backend);
            }
            catch (FormatException e)
            {
                throw new StartupException(e.Message, e);
            }
            return;
        }
        Embedded = new EmbeddedRedisServer(settings.RedisServer, settings.DataDir, loggerFactory.CreateLogger<EmbeddedRedisServer>());
        await Embedded.StartAsync(cancellationToken);
        _target = Embedded.Target;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Embedded is not null)
        {
            await Embedded.DisposeAsync();
        }
    }
}
