// Orders by customer: a StreamReader registration that folds the orders producers add to the stream
// `orders` into one hash per customer, customer:<customer>, with `orders` (how many) and `total` (their
// amounts added up, exactly, with two decimals).
//
//   XADD orders * customer ann amount 12.50 id o-1001
//   XADD orders * customer bob amount 3 id o-1002
//   XADD orders * customer ann amount 0.25 id o-1003
//   HGETALL customer:ann   → orders 2, total 12.75, lastId <the stream id of o-1003>
//   HGETALL orders:rejected → <stream id> → why, for an entry without a customer or whose amount is
//                             not a number of cents ("12.345", "abc"): skipped, never retried
//
// Submit: redis-cli -p 6379 RG.CSEXECUTE "$(cat scripts/examples/stream-orders-by-customer.csx)"
// Watch:  RG.DUMPREGISTRATIONS (numTriggered counts batches, not entries; lastError; status)
//
// Batches: up to 100 entries, and a batch that is not full waits 50 ms for more, so a burst of
// orders makes a few large batches. BatchGroupBy groups a batch's orders by customer, in the order
// customers first appear, and each customer gets ONE write per batch: a Lua script (EVAL) that adds
// the batch's orders to the hash atomically.
//
// At least once: a batch is acknowledged (XACK) only after it succeeded, so a batch that was written
// but not acknowledged (the gateway killed in between, or a batch that failed half-way and is run
// again) is delivered again. The script makes that harmless: each hash keeps `lastId`, the stream
// id of the last order it counted, and the Lua script skips an order whose id is not greater
// (ids of one stream only grow, and a customer's orders are written in id order). So a re-delivered
// order is counted once, and onFailedPolicy: Retry is safe: a batch that failed (Redis refused a
// write) runs again every second until it succeeds, status WAITING_FOR_RETRY_ON_FAILURE meanwhile,
// and no order is lost. Entries the script can never process are set aside in orders:rejected
// rather than failing their batch: under Retry, one bad entry would otherwise stop the stream.
//
// `total` is kept in cents by the Lua script (integers: exact, where HINCRBYFLOAT would add binary
// floating point) and written as "12.75". An order's own `id` field is not used: the stream id is
// the one that only grows.

using System.Globalization;

// KEYS[1] customer:<customer>; ARGV: stream id, amount in cents, stream id, amount in cents, ... of
// the batch's orders of that customer. Returns how many it counted.
const string AddOrders = """
    local function after(a, b) -- stream ids "ms-seq": is a after b?
      local am, as = string.match(a, '^(%d+)-(%d+)$')
      local bm, bs = string.match(b, '^(%d+)-(%d+)$')
      am, bm = tonumber(am), tonumber(bm)
      return am > bm or (am == bm and tonumber(as) > tonumber(bs))
    end
    local counted = redis.call('HGET', KEYS[1], 'lastId')
    local last, orders, cents = counted, 0, 0
    for i = 1, #ARGV, 2 do
      if not counted or after(ARGV[i], counted) then
        orders = orders + 1
        cents = cents + tonumber(ARGV[i + 1])
        if not last or after(ARGV[i], last) then last = ARGV[i] end
      end
    end
    if orders == 0 then return 0 end -- all counted before: a re-delivered batch
    local total = tonumber((string.gsub(redis.call('HGET', KEYS[1], 'total') or '0.00', '%.', ''))) + cents
    local sign = total < 0 and '-' or ''
    total = math.abs(total)
    redis.call('HINCRBY', KEYS[1], 'orders', orders)
    redis.call('HSET', KEYS[1], 'total', string.format('%s%d.%02d', sign, math.floor(total / 100), total % 100), 'lastId', last)
    return orders
    """;

// "12.50" → "1250"; null for what is not an amount of whole cents (or is absurdly large).
string? Cents(string? amount) =>
    decimal.TryParse(amount, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
        && value == decimal.Round(value, 2) && Math.Abs(value) < 1_000_000_000_000m
        ? ((long)(value * 100)).ToString(CultureInfo.InvariantCulture)
        : null;

GB(Readers.Stream)
    .Filter(async order =>
    {
        var why = !order.Value.TryGetValue("customer", out var customer) || customer.Length == 0 ? "no customer"
            : Cents(order.Value.GetValueOrDefault("amount")) is null ? $"amount '{order.Value.GetValueOrDefault("amount")}' is not a number of cents"
            : null;
        if (why is not null)
        {
            await ExecuteAsync("HSET", "orders:rejected", order.Id, why); // by stream id: a re-delivery writes the same field
        }
        return why is null;
    })
    .BatchGroupBy(order => order.Value["customer"], (customer, orders) => orders)
    .ForEach(async customer =>
    {
        string[] orders = [.. customer.Value.SelectMany(order => new[] { order.Id, Cents(order.Value["amount"])! })];
        await ExecuteAsync("EVAL", [AddOrders, "1", "customer:" + customer.Key, .. orders]);
    })
    .Register(prefix: "orders", batch: 100, duration: 50, onFailedPolicy: OnFailedPolicy.Retry, onFailedRetryInterval: 1);
