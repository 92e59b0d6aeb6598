// Sum by group: orders are hashes order:* with the fields customer and amount; the reply gives each
// customer's total, the largest first.
//
//   HSET order:1 customer ann amount 10.50   HSET order:2 customer bob amount 3   HSET order:3 customer ann amount 2
//   RG.CSEXECUTE "$(cat scripts/examples/sum-by-group.csx)"
//     → 1) 1) "ann=12.50" 2) "bob=3"
//       2) (empty array)       (errors: an order without a customer or with a bad amount, ...)
//
// AggregateBy folds each customer's orders into one decimal as the batches go by (decimal: money adds
// up exactly): the gateway holds one batch of orders and one total per customer, never all orders.
//
// RG.CONFIGSET keys (read when the script is submitted):
//   OrdersPattern  the orders' keys, in SCAN MATCH syntax (default order:*)

using System.Globalization;

GB()
    // A hash's value is its fields: field name → value.
    .Map(r => (IReadOnlyDictionary<string, string>)r.Value!)
    .AggregateBy(
        order => order["customer"],          // the group; a missing field fails the record, not the run
        0m,                                  // each customer's total starts at 0
        (customer, total, order) => total + decimal.Parse(order["amount"], NumberStyles.Number, CultureInfo.InvariantCulture),
        (customer, total, shardTotal) => total + shardTotal) // combines the shards' totals (one shard here)
    .Sort(pair => pair.Value)                // largest total first
    .Map(pair => $"{pair.Key}={pair.Value.ToString(CultureInfo.InvariantCulture)}")
    .Run(GearsConfigGet("OrdersPattern", "order:*")!);
