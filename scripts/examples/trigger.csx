// A command of your own: RG.TRIGGER Restock <item> <quantity> (RedisGears' CommandReader trigger).
//
// Adds <quantity> to the stock of inventory:<item> and stamps when it was restocked, then answers
// with what it did. The reply of RG.TRIGGER is the pipeline's output records: here one string.
//
//   RG.TRIGGER Restock widget 5   → 1) "OK restocked widget: stock 5"
//   RG.TRIGGER Restock widget 3   → 1) "OK restocked widget: stock 8"
//   HGETALL inventory:widget      → stock 8, last_restocked 2024-06-10T06:13:20.000+00:00
//   RG.TRIGGER Restock widget -1  → (error) ERR usage: RG.TRIGGER Restock <item> <quantity>, ...

GB(Readers.Command)
    .Map(args =>
    {
        // args: the trigger's name, then the caller's arguments.
        if (args.Length != 3 || !long.TryParse(args[2], out var quantity) || quantity <= 0)
        {
            // A GearsException's message is the caller's error reply, as it is.
            throw new GearsException("ERR usage: RG.TRIGGER Restock <item> <quantity>, quantity a positive whole number");
        }
        var (item, key) = (args[1], "inventory:" + args[1]);
        // HINCRBY, not read-add-write: concurrent restocks of one item all count.
        var stock = (long)Execute("HINCRBY", key, "stock", quantity)!;
        Execute("HSET", key, "last_restocked", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz"));
        return $"OK restocked {item}: stock {stock}";
    })
    .Register(trigger: "Restock");
