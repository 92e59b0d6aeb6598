using SharpGears.Runtime.Engine.Registrations;

namespace SharpGears.Runtime.Engine.Sessions;

/// <summary>
/// What one piece of code made (a submission, a script file, a plugin): its source and arguments, the
/// load context its code lives in, and the registrations it owns. Replacing or removing the session
/// unregisters them and unloads the context.
/// </summary>
internal sealed class Session(SessionDefinition definition, SessionCode code)
{
    private readonly List<Registration> _registrations = [];

    public string Id => Definition.Id;

    public SessionDefinition Definition { get; } = definition;

    public SessionCode Code { get; } = code;

    /// <summary>True once the session was replaced or removed; its load context is then unloading.</summary>
    public bool IsDead { get; private set; }

    public IReadOnlyList<Registration> Registrations
    {
        get
        {
            lock (_registrations)
            {
                return [.. _registrations];
            }
        }
    }

    public void Add(Registration registration)
    {
        lock (_registrations)
        {
            _registrations.Add(registration);
        }
    }

    public bool Remove(Registration registration)
    {
        lock (_registrations)
        {
            return _registrations.Remove(registration);
        }
    }

    /// <summary>Marks the session dead and unloads its code (the memory comes back once nothing runs it).</summary>
    public void Kill()
    {
        IsDead = true;
        Code.Dispose();
    }
}
