using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using SharpGears.Runtime.Gateway;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Bench;

/// <summary>
/// The gateway's per-command hot path without the sockets: framing a pipelined batch of requests,
/// identifying each command (the routing decision), and framing the batch of replies. The target is
/// 0 bytes allocated per command (MemoryDiagnoser's Allocated column).
/// </summary>
[MemoryDiagnoser]
public class FramingBenchmarks
{
    private const int Commands = 16;
    private ReadOnlySequence<byte> _requests;
    private ReadOnlySequence<byte> _replies;
    private readonly ReplyWalker _walker = new();

    [GlobalSetup]
    public void Setup()
    {
        var requests = new StringBuilder();
        var replies = new StringBuilder();
        for (var i = 0; i < Commands / 2; i++)
        {
            requests.Append($"*3\r\n$3\r\nSET\r\n$16\r\nkey:{i:D12}\r\n$3\r\nxxx\r\n");
            requests.Append($"*2\r\n$3\r\nGET\r\n$16\r\nkey:{i:D12}\r\n");
            replies.Append("+OK\r\n$3\r\nxxx\r\n");
        }
        _requests = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(requests.ToString()));
        _replies = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(replies.ToString()));
    }

    /// <summary>Frames 16 pipelined requests and classifies each, as ClientSession does per read.</summary>
    [Benchmark(OperationsPerInvoke = Commands)]
    public int FrameAndClassifyRequests()
    {
        var parser = new RequestParser(512L * 1024 * 1024);
        var reader = new SequenceReader<byte>(_requests);
        var plain = 0;
        while (!reader.End)
        {
            parser.Reset();
            if (parser.Advance(ref reader) != RequestStatus.Complete)
            {
                throw new InvalidOperationException();
            }
            if (CommandTable.Classify(parser.Name) == CommandKind.Plain)
            {
                plain++;
            }
        }
        return plain;
    }

    /// <summary>Finds the end of each of 16 replies, as a backend connection does per read.</summary>
    [Benchmark(OperationsPerInvoke = Commands)]
    public int FrameReplies()
    {
        var reader = new SequenceReader<byte>(_replies);
        var frames = 0;
        while (!reader.End && _walker.Advance(ref reader))
        {
            frames++;
        }
        return frames;
    }
}
