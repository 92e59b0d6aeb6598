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
    private readonly List<IAsyncDisposable> _owned = [];

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

    /// <summary>Keeps <paramref name="resource"/> (a connection the code made) until the session dies, then disposes it.</summary>
    public void Own(IAsyncDisposable resource)
    {
        lock (_owned)
        {
            if (!IsDead)
            {
                _owned.Add(resource);
                return;
            }
        }
        _ = resource.DisposeAsync();
        throw new Api.GearsException($"session {Id} was replaced or unregistered: it can not open connections any more");
    }

    /// <summary>Marks the session dead, closes what it owns and unloads its code (the memory comes back once nothing runs it).</summary>
    public void Kill()
    {
        IAsyncDisposable[] owned;
        lock (_owned)
        {
            IsDead = true;
            owned = [.. _owned];
            _owned.Clear();
        }
        foreach (var resource in owned)
        {
            _ = resource.DisposeAsync();
        }
        Code.Dispose();
    }
}
