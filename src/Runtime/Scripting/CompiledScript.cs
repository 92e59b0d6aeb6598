using SharpGears.Api;

namespace SharpGears.Runtime.Scripting;

/// <summary>
/// A compiled script, loaded into its own collectible context. <see cref="RunAsync"/> runs its body;
/// <see cref="Dispose"/> unloads the context (the memory comes back once its objects are unreachable).
/// </summary>
internal sealed class CompiledScript(ScriptLoadContext context, Func<object[], Task<object>> entryPoint) : IDisposable
{
    /// <summary>The load context, for tests that check it is collected after unloading.</summary>
    internal WeakReference LoadContextReference { get; } = new(context);

    /// <summary>Runs the script's top-level code with <paramref name="globals"/> as its globals; returns its value.</summary>
    public Task<object> RunAsync(IGears globals) =>
        entryPoint([globals, null!]); // Roslyn's submission array: the globals, then this submission's slot

    public void Dispose() => context.Unload();
}
