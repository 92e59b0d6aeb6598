// Read-through latency of a first GET: through the gateway (a keymiss registration linked to GET
// fetches the key from the source Redis, SETs it in the cache and overrides the client's reply)
// against the application doing the same itself (GET from the cache: miss; GET from the source; SET
// into the cache; use the value). Both peers run here, with the same synchronous RESP client, one
// connection per server, timing each logical read with Stopwatch. Rounds alternate the peers' order
// (A B, B A, ...) and each round starts from an empty cache (FLUSHALL of the cache, never of the source).
//
//   SharpGears.ReadThroughBench n=20000 rounds=5 warmup=2000 gateway=P gateway-cache=P app-cache=P source=P
//                               [seredis-gateway=P seredis-gateway-cache=P] [app-gateway=P app-gateway-cache=P]
//
// gateway: the gateway's port; gateway-cache: its backend (flushed and checked directly);
// seredis-gateway (optional): a second gateway, whose script fetches with StackExchange.Redis;
// app-gateway (optional): a gateway with no registration in front of a second application cache
// (app-gateway-cache): the application doing the read-through itself where its clients talk to
// SharpGears, as they do once it is deployed;
// app-cache: the application's cache Redis; source: the Redis holding rt:<i> (filled here).
// Exit status 1 when any value was wrong or any key was not in the cache afterwards.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using SharpGears.ReadThroughBench;

var options = new Dictionary<string, int>();
foreach (var argument in args)
{
    var parts = argument.Split('=', 2);
    if (parts.Length != 2 || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var number))
    {
        Console.Error.WriteLine($"bad argument '{argument}': expected name=number");
        return 2;
    }
    options[parts[0]] = number;
}
int Option(string name) => options.TryGetValue(name, out var value) ? value : throw new ArgumentException($"missing {name}=...");

var n = Option("n");
var rounds = Option("rounds");
var warmup = Math.Min(Option("warmup"), n);

var keys = new byte[n][];
var values = new byte[n][];
for (var i = 0; i < n; i++)
{
    keys[i] = Encoding.ASCII.GetBytes($"rt:{i}");
    values[i] = Encoding.ASCII.GetBytes($"value-{i}-".PadRight(32, 'x'));
}

// The source: n small values, written here (pipelined) so both peers read the very same data.
using (var filler = new Resp(Option("source")))
{
    for (var from = 0; from < n; from += 1000)
    {
        var to = Math.Min(n, from + 1000);
        for (var i = from; i < to; i++)
        {
            filler.Begin(3).Arg("SET"u8).Arg(keys[i]).Arg(values[i]);
        }
        filler.Flush();
        for (var i = from; i < to; i++)
        {
            filler.ReadSimple();
        }
    }
    var size = filler.Call("DBSIZE");
    if (size != n.ToString(CultureInfo.InvariantCulture))
    {
        Console.Error.WriteLine($"the source holds {size} keys, not {n}: it must start empty");
        return 1;
    }
}

var appCache = new Resp(Option("app-cache"));
var appSource = new Resp(Option("source"));

// The application doing the read-through itself; its cache commands go to `cache` (Redis itself, or
// a gateway in front of it), `direct` is that cache Redis, flushed and checked directly.
Peer Application(string name, Resp cache, Resp direct) => new(name, direct, i =>
{
    cache.Begin(2).Arg("GET"u8).Arg(keys[i]).Flush();
    if (cache.ReadBulk(out _))
    {
        return false; // a hit: the cache was not empty, this is not a first GET
    }
    appSource.Begin(2).Arg("GET"u8).Arg(keys[i]).Flush();
    if (!appSource.ReadBulk(out var fetched))
    {
        return false;
    }
    cache.Begin(3).Arg("SET"u8).Arg(keys[i]).Arg(fetched); // copies the value before the next read
    cache.Flush();
    var stored = cache.ReadSimple() == "OK";
    return stored && fetched.SequenceEqual(values[i]); // "use the value" (read before the next read)
});

// A gateway peer: its port and its backend's; the same first GET, whatever its script fetches with.
Peer Gateway(string name, string option)
{
    var gateway = new Resp(Option(option));
    return new Peer(name, new Resp(Option($"{option}-cache")), i =>
    {
        gateway.Begin(2).Arg("GET"u8).Arg(keys[i]).Flush();
        return gateway.ReadBulk(out var value) && value.SequenceEqual(values[i]);
    });
}

var peers = new List<Peer>
{
    Gateway("sharpgears", "gateway"),
    Application("application", appCache, appCache),
};
if (options.ContainsKey("seredis-gateway"))
{
    peers.Add(Gateway("sg+SE.Redis", "seredis-gateway"));
}
if (options.ContainsKey("app-gateway"))
{
    // Where SharpGears is deployed, the application's clients talk to the gateway too.
    peers.Add(Application("app via sg", new Resp(Option("app-gateway")), new Resp(Option("app-gateway-cache"))));
}

// Warm-up (JIT tiering in the gateway and here): the first keys once per peer, then an empty cache again.
foreach (var peer in peers)
{
    peer.Cache.Call("FLUSHALL");
    for (var i = 0; i < warmup; i++)
    {
        peer.Read(i);
    }
}

var failed = false;
var latencies = new long[n];
Console.WriteLine($"{n} first GETs per peer and round, {rounds} round(s), after a {warmup}-read warm-up; latency in microseconds");
Console.WriteLine();
Console.WriteLine($"{"round",-5} {"peer",-12} {"p50",8} {"p99",8} {"p99.9",8} {"mean",8} {"max",8}  right  cached");
for (var round = 1; round <= rounds; round++)
{
    var order = round % 2 == 1 ? peers : [.. Enumerable.Reverse(peers)];
    foreach (var peer in order)
    {
        peer.Cache.Call("FLUSHALL");
        GC.Collect();
        Thread.Sleep(200);
        var right = 0;
        for (var i = 0; i < n; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var ok = peer.Read(i);
            latencies[i] = Stopwatch.GetTimestamp() - start;
            right += ok ? 1 : 0;
        }
        var cached = CountCached(peer.Cache);
        var stats = Stats.Of(latencies);
        peer.Rounds.Add(stats);
        failed |= right != n || cached != n;
        Console.WriteLine($"{round,-5} {peer.Name,-12} {stats.P50,8:F1} {stats.P99,8:F1} {stats.P999,8:F1} {stats.Mean,8:F1} {stats.Max,8:F0}  " +
            $"{(right == n ? "yes" : $"{right}/{n}"),-5}  {(cached == n ? "yes" : $"{cached}/{n}")}");
    }
}

Console.WriteLine();
Console.WriteLine($"median over {rounds} round(s), microseconds");
Console.WriteLine($"{"peer",-12} {"p50",8} {"p99",8} {"p99.9",8} {"mean",8}");
foreach (var peer in peers)
{
    Console.WriteLine($"{peer.Name,-12} {peer.Median(s => s.P50),8:F1} {peer.Median(s => s.P99),8:F1} {peer.Median(s => s.P999),8:F1} {peer.Median(s => s.Mean),8:F1}");
}
static double Ratio(Peer peer, Peer baseline, Func<Stats, double> stat) => peer.Median(stat) / baseline.Median(stat);
Console.WriteLine();
foreach (var peer in peers.Where(p => p != peers[1]))
{
    var target = peer == peers[0] ? "  (target <= 1.00)" : "";
    Console.WriteLine($"ratio {peer.Name}/application  p99 = {Ratio(peer, peers[1], s => s.P99):F2}{target}   p50 = {Ratio(peer, peers[1], s => s.P50):F2}   mean = {Ratio(peer, peers[1], s => s.Mean):F2}");
}
if (peers.Find(p => p.Name == "app via sg") is { } throughGateway)
{
    Console.WriteLine($"ratio {peers[0].Name}/app via sg  p99 = {Ratio(peers[0], throughGateway, s => s.P99):F2}   p50 = {Ratio(peers[0], throughGateway, s => s.P50):F2}   mean = {Ratio(peers[0], throughGateway, s => s.Mean):F2}");
}
Console.WriteLine(failed
    ? "correctness: FAILED (see the right/cached columns)"
    : $"correctness: every value right, every key in the cache afterwards ({rounds} x {n} per peer)");
return failed ? 1 : 0;

// How many of the n keys hold their value in the cache, read straight from it (pipelined); DBSIZE must be n.
int CountCached(Resp cache)
{
    var count = 0;
    for (var from = 0; from < n; from += 1000)
    {
        var to = Math.Min(n, from + 1000);
        for (var i = from; i < to; i++)
        {
            cache.Begin(2).Arg("GET"u8).Arg(keys[i]);
        }
        cache.Flush();
        for (var i = from; i < to; i++)
        {
            count += cache.ReadBulk(out var value) && value.SequenceEqual(values[i]) ? 1 : 0;
        }
    }
    var size = int.Parse(cache.Call("DBSIZE"), CultureInfo.InvariantCulture);
    if (size != n)
    {
        Console.Error.WriteLine($"the cache on port {cache.Port} holds {size} keys, not {n}");
        failed = true;
    }
    return count;
}

internal sealed class Peer(string name, Resp cache, Func<int, bool> read)
{
    public string Name { get; } = name;
    public Resp Cache { get; } = cache;
    public Func<int, bool> Read { get; } = read;
    public List<Stats> Rounds { get; } = [];

    public double Median(Func<Stats, double> stat)
    {
        var sorted = Rounds.Select(stat).Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

internal readonly record struct Stats(double P50, double P99, double P999, double Mean, double Max)
{
    public static Stats Of(long[] ticks)
    {
        var micros = ticks.Select(t => t * 1_000_000.0 / Stopwatch.Frequency).Order().ToArray();
        // nearest rank: the smallest latency that at least p of the reads did not exceed
        double At(double p) => micros[Math.Max(0, (int)Math.Ceiling(p * micros.Length) - 1)];
        return new Stats(At(0.50), At(0.99), At(0.999), micros.Average(), micros[^1]);
    }
}
