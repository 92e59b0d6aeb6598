using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using SharpGears.Runtime.Protocol;

namespace SharpGears.Bench;

/// <summary>
/// Turning the engine's replies into script values (RespValue.Read), on the two replies a batch job and
/// a stream registration read most: a keys reader's MGET of a page of 1,000 documents, and a stream
/// consumer's XREADGROUP of a batch of 100 entries. Allocated should be the values themselves (their
/// strings and arrays), nothing per frame on top.
/// </summary>
[MemoryDiagnoser]
public class RespValueBenchmarks
{
    private ReadOnlySequence<byte> _mget;
    private ReadOnlySequence<byte> _xreadgroup;

    [GlobalSetup]
    public void Setup()
    {
        var mget = new StringBuilder("*1000\r\n");
        for (var i = 0; i < 1000; i++)
        {
            mget.Append("$26\r\nthe of and to in a is that\r\n");
        }
        _mget = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(mget.ToString()));

        var stream = new StringBuilder("*1\r\n*2\r\n$13\r\norders:stream\r\n*100\r\n");
        for (var i = 0; i < 100; i++)
        {
            var id = $"1796663900000-{i}";
            var customer = $"c{i * 7 % 1000}";
            var amount = $"{i * 13 % 1000}.{i % 100:D2}";
            stream.Append($"*2\r\n${id.Length}\r\n{id}\r\n*4\r\n$8\r\ncustomer\r\n${customer.Length}\r\n{customer}\r\n$6\r\namount\r\n${amount.Length}\r\n{amount}\r\n");
        }
        _xreadgroup = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(stream.ToString()));
    }

    [Benchmark]
    public object? MgetOf1000() => RespValue.Read(_mget);

    [Benchmark]
    public object? XreadgroupOf100() => RespValue.Read(_xreadgroup);
}
