using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SharpGears.Runtime.Engine;
using SharpGears.Runtime.Engine.Commands;
using SharpGears.Runtime.Engine.Configuration;
using SharpGears.Runtime.Gateway;

namespace SharpGears.Runtime.Hosting;

/// <summary>Adds SharpGears to a generic host.</summary>
internal static class SharpGearsHostBuilderExtensions
{
    /// <summary>The command-line flags users and scripts depend on, and the settings they set.</summary>
    public static readonly IReadOnlyDictionary<string, string> Flags = new Dictionary<string, string>
    {
        ["--port"] = "SharpGears:Port",
        ["--bind"] = "SharpGears:Bind",
        ["--backend"] = "SharpGears:Backend",
        ["--data-dir"] = "SharpGears:DataDir",
        ["--log-level"] = "Logging:LogLevel:Default",
        ["--max-clients"] = "SharpGears:MaxClients",
        ["--redis-server"] = "SharpGears:RedisServer",
        ["--scripts"] = "SharpGears:Scripts",
        ["--plugins"] = "SharpGears:Plugins",
    };

    /// <summary>
    /// Binds <see cref="SharpGearsOptions"/> (appsettings.json, then environment variables, then the
    /// command line) and registers the backend, the engine, the watched code folders and the gateway, in
    /// that start order.
    /// </summary>
    public static HostApplicationBuilder AddSharpGears(this HostApplicationBuilder builder, string[] args)
    {
        CheckFlags(args);
        builder.Configuration.AddCommandLine(TranslateLogLevel(args), Flags.ToDictionary());
        CheckValues(builder.Configuration);
        ConfigureSocketThreads(builder.Configuration.GetValue<int?>($"{SharpGearsOptions.Section}:{nameof(SharpGearsOptions.IoThreads)}"));
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Services.AddOptions<SharpGearsOptions>()
            .Bind(builder.Configuration.GetSection(SharpGearsOptions.Section))
            .Validate(o => o.Port is >= 0 and <= 65535, "--port must be between 0 and 65535")
            .Validate(o => System.Net.IPAddress.TryParse(o.Bind, out _), "--bind must be an IP address")
            .Validate(o => o.MaxClients > 0, "MaxClients must be positive")
            .Validate(o => o.ExecutionThreads > 0, "ExecutionThreads must be positive")
            .Validate(o => o.ExecutionTimeout > 0, "ExecutionTimeout must be positive")
            .Validate(o => o.ReloadDelay >= 0, "ReloadDelay must not be negative")
            .ValidateOnStart();
        builder.Services.AddSingleton<GearsCommands>();
        builder.Services.AddSingleton<GearsSettings>();
        builder.Services.AddSingleton<BackendService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<BackendService>());
        builder.Services.AddSingleton<GearsEngine>();
        builder.Services.AddHostedService(services => services.GetRequiredService<GearsEngine>());
        builder.Services.AddHostedService<Loading.CodeFolders>();
        builder.Services.AddHostedService<GearsCommandsRegistration>();
        builder.Services.AddSingleton<GatewayServer>();
        builder.Services.AddHostedService(services => services.GetRequiredService<GatewayServer>());
        return builder;
    }

    // .NET reads these when the process makes its first socket, so they are set before the host starts.
    // Socket completions run on the threads that poll the sockets (no hop to the thread pool), and there
    // are few of those threads: the gateway's work per event is short and never blocks, and on a small
    // machine wake-ups and context switches between threads cost more than the work itself
    // (bench/gateway: one polling thread on 2 cores, ~10 us of CPU per request against ~17 us with two).
    private static void ConfigureSocketThreads(int? ioThreads)
    {
        var threads = ioThreads is > 0 ? ioThreads.Value : Math.Max(1, Environment.ProcessorCount / 4);
        SetUnlessGiven("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        SetUnlessGiven("DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT", threads.ToString(System.Globalization.CultureInfo.InvariantCulture));

        static void SetUnlessGiven(string name, string value)
        {
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }

    private static void CheckFlags(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i].Split('=', 2)[0];
            // -p is no option either (the configuration would silently ignore it); -1 may be a value.
            var isFlag = flag.StartsWith("--", StringComparison.Ordinal) || (flag.Length > 1 && flag[0] == '-' && char.IsLetter(flag[1]));
            if (isFlag && !Flags.ContainsKey(flag) && !flag.Contains(':'))
            {
                throw new StartupException($"unknown option {flag}; the options are {string.Join(", ", Flags.Keys)}");
            }
        }
    }

    // A value of the wrong type (--port abc) would otherwise stop the host with an unhandled exception.
    private static void CheckValues(IConfiguration configuration)
    {
        try
        {
            configuration.GetSection(SharpGearsOptions.Section).Get<SharpGearsOptions>();
        }
        catch (InvalidOperationException e)
        {
            var flag = Flags.FirstOrDefault(f => e.Message.Contains($"'{f.Value}'", StringComparison.OrdinalIgnoreCase)).Key;
            throw new StartupException(flag is null ? e.Message : $"{flag}: {e.Message}", e);
        }
    }

    // Redis' level names are accepted too: notice, verbose, debug, warning.
    private static string[] TranslateLogLevel(string[] args)
    {
        var translated = (string[])args.Clone();
        for (var i = 0; i + 1 < translated.Length; i++)
        {
            if (translated[i] == "--log-level")
            {
                translated[i + 1] = translated[i + 1].ToLowerInvariant() switch
                {
                    "notice" => "Information",
                    "verbose" => "Debug",
                    "debug" => "Trace",
                    var other => other,
                };
            }
        }
        return translated;
    }
}
