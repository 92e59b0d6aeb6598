using System.Runtime.Loader;
using SharpGears.Api;
using SharpGears.Runtime.Scripting.Requirements;

namespace SharpGears.Runtime.Engine.Sessions;

/// <summary>
/// A session's code, loaded into a collectible context of its own: a compiled script or a plugin
/// assembly. <see cref="RunAsync"/> runs what makes its registrations (a script's body, a plugin's
/// <c>Register</c>); <see cref="Dispose"/> unloads the context, and the memory comes back once nothing
/// runs the code any more.
/// </summary>
internal abstract class SessionCode(AssemblyLoadContext context) : IDisposable
{
    /// <summary>The load context, for those (tests, RG.DUMPSESSIONS DEAD) that watch it being collected.</summary>
    public WeakReference LoadContextReference { get; } = new(context);

    /// <summary>Runs the code's entry point with <paramref name="gears"/>, the engine's functions.</summary>
    public abstract Task RunAsync(IGears gears);

    /// <summary>The NuGet packages the code was compiled with and loads (a script's requirements); none by default.</summary>
    public virtual RestoredPackages Packages => RestoredPackages.None;

    public void Dispose() => context.Unload();
}
