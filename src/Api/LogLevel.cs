namespace SharpGears.Api;

/// <summary>The levels of <see cref="IGears.Log"/>, as RedisGears names them.</summary>
public enum LogLevel
{
    /// <summary>Detail for debugging a script.</summary>
    Debug,

    /// <summary>More than usual.</summary>
    Verbose,

    /// <summary>The usual level.</summary>
    Notice,

    /// <summary>Something went wrong or looks wrong.</summary>
    Warning,
}
