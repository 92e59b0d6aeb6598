using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SharpGears.Runtime.Hosting;

try
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
    {
        Args = args,
        // appsettings.json ships beside the executable; the working directory stays the user's, so
        // that a relative --data-dir means what the user expects.
        ContentRootPath = AppContext.BaseDirectory,
    });
    builder.AddSharpGears(args);
    using var host = builder.Build();
    await host.RunAsync();
    return 0;
}
catch (Exception e) when (e is StartupException or OptionsValidationException or IOException
    or System.Net.Sockets.SocketException or Microsoft.AspNetCore.Connections.AddressInUseException)
{
    Console.Error.WriteLine($"sharpgears: {e.Message}");
    return 2;
}
