using Microsoft.Extensions.Hosting;
using SharpGears.Runtime.Gateway;

namespace SharpGears.Runtime.Engine.Commands;

/// <summary>Registers the engine's RG.* commands with the gateway once the engine has started.</summary>
internal sealed class GearsCommandsRegistration(GearsCommands commands, GearsEngine engine) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        SessionCommands.Register(commands, engine);
        RequirementCommands.Register(commands, engine);
        RegistrationCommands.Register(commands, engine);
        ConfigurationCommands.Register(commands, engine);
        TriggerCommands.Register(commands, engine);
        ExecutionCommands.Register(commands, engine);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
