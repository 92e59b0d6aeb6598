using SharpGears.Api;
using SharpGears.Runtime.Engine.Sessions;
using SharpGears.Runtime.Scripting.Requirements;

namespace SharpGears.Runtime.Scripting;

/// <summary>A compiled script, loaded into its own collectible context; running it runs its top-level code.</summary>
internal sealed class CompiledScript(ScriptLoadContext context, Func<object[], Task<object>> entryPoint, RestoredPackages packages) : SessionCode(context)
{
    /// <summary>Runs the script's top-level code with <paramref name="globals"/> as its globals; returns its last value.</summary>
    public Task<object> EvaluateAsync(IGears globals) =>
        entryPoint([globals, null!]); // Roslyn's submission array: the globals, then this submission's slot

    public override Task RunAsync(IGears gears) => EvaluateAsync(gears);

    public override RestoredPackages Packages { get; } = packages;
}
