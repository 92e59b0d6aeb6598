using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SharpGears.Runtime.Gateway;
using SharpGears.Runtime.Hosting;

namespace SharpGears.Runtime.Tests.Infrastructure;

/// <summary>A SharpGears host, in this process, on a free port, built exactly as Program builds it.</summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly string _dataDirectory;

    private GatewayHost(IHost host, string dataDirectory)
    {
        _host = host;
        _dataDirectory = dataDirectory;
    }

    public int Port => ((IPEndPoint)Server.EndPoint!).Port;

    internal GatewayServer Server => _host.Services.GetRequiredService<GatewayServer>();

    internal BackendService Backend => _host.Services.GetRequiredService<BackendService>();

    /// <summary>The engine, for tests that look at what RG.* cannot show (a session's load context).</summary>
    internal Runtime.Engine.GearsEngine Engine => _host.Services.GetRequiredService<Runtime.Engine.GearsEngine>();

    /// <summary>Starts a gateway; <paramref name="arguments"/> are command-line flags (e.g. --backend).</summary>
    public static async Task<GatewayHost> StartAsync(params string[] arguments)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("sharpgears-data-").FullName;
        string[] args = ["--port", "0", "--data-dir", dataDirectory, "--log-level", "Warning", .. arguments];
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = true,
        });
        builder.AddSharpGears(args);
        var host = builder.Build();
        await host.StartAsync();
        return new GatewayHost(host, dataDirectory);
    }

    public static Task<GatewayHost> StartAsync(RedisServer backend, params string[] arguments) =>
        StartAsync(["--backend", backend.Url, .. arguments]);

    public Task<RawClient> ConnectAsync() => RawClient.ConnectAsync(Port);

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _host.StopAsync(timeout.Token);
        _host.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
