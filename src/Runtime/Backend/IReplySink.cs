namespace SharpGears.Runtime.Backend;

/// <summary>
/// Where a backend connection delivers replies: a client session (which passes the bytes on to its
/// client), or the engine's own client (which turns them into values). Called on the connection's
/// receive loop, in reply order.
/// </summary>
internal interface IReplySink
{
    /// <summary>Takes reply bytes (a whole frame, or part of a large one); true when a flush is due.</summary>
    bool WriteFromBackend(ReadOnlySequence<byte> bytes);

    /// <summary>The connection has handed over everything it had for now.</summary>
    void FlushFromBackend();

    /// <summary>One <see cref="PendingReply"/> entry has been answered in full.</summary>
    void OnRepliesDelivered();

    /// <summary>Answers <paramref name="count"/> requests with the same error (the connection was lost).</summary>
    void FailReplies(int count, string message);

    /// <summary>The sink's own (private) connection is gone, and with it the state it held.</summary>
    void OnBackendLost();

    /// <summary>Half a reply was delivered before the connection was lost: the sink cannot be answered sensibly.</summary>
    void Abort();

    /// <summary>Completes when the sink has taken what it was given (back-pressure of a private connection).</summary>
    Task OutputDrained { get; }
}

/// <summary>
/// A sink that routes the replies of its entry frame by frame (it must look at some of them whole):
/// the connection asks it where each frame goes as the frame starts.
/// </summary>
internal interface IFrameRouter : IReplySink
{
    /// <summary>
    /// Where the frame that starts with <paramref name="frame"/> goes (at least its first byte is
    /// there): to a sink that takes runs of frames, or to this router, which then gets the frame's
    /// bytes apart from any other frame's, and <see cref="FrameDone"/> once it is complete.
    /// </summary>
    IReplySink Route(ReadOnlySequence<byte> frame);

    /// <summary>A frame routed to this router is complete; true when a flush is due.</summary>
    bool FrameDone();
}
