namespace SharpGears.Api.Pipeline;

/// <summary>The engine, as the builders see it: it receives what a pipeline's action asks for.</summary>
internal interface IGearsRuntime
{
    /// <summary>Registers a pipeline to run on events (the builder's <c>Register</c>).</summary>
    void Register(RegistrationRequest request);

    /// <summary>Runs a pipeline once over what its reader reads (the builder's <c>Run</c>).</summary>
    void Run(RunRequest request);
}
