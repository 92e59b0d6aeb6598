namespace SharpGears.Runtime.Protocol;

/// <summary>What <see cref="RequestParser.Advance"/> found.</summary>
internal enum RequestStatus
{
    /// <summary>A whole request was read.</summary>
    Complete,

    /// <summary>The buffer ends inside the request.</summary>
    Incomplete,

    /// <summary>A request Redis ignores without a reply: an empty line, <c>*0</c> or <c>*-1</c>.</summary>
    Empty,

    /// <summary>Malformed input; <see cref="RequestParser.Error"/> holds Redis' message.</summary>
    ProtocolError,
}
