using Humanizer;
using SharpGears.Api;

namespace StatusText;

/// <summary>
/// Keeps a readable text beside every status code written under <c>status:</c>:
/// <c>SET status:order:7 payment_overdue</c> makes <c>status-text:order:7</c> "Payment overdue".
/// </summary>
public sealed class StatusTextPlugin : IGearsPlugin
{
    public void Register(IGears gears) =>
        gears.GB()
            .Filter(record => record.Value is string)
            .ForEach(record => gears.Execute("SET", "status-text:" + record.Key["status:".Length..], ((string)record.Value!).Humanize(LetterCasing.Sentence)))
            .Register(prefix: "status:*", eventTypes: ["set"], mode: ExecutionMode.AsyncLocal);
}
