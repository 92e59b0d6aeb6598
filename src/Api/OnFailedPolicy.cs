namespace SharpGears.Api;

/// <summary>What a StreamReader registration does when a batch fails (its pipeline throws or times out).</summary>
public enum OnFailedPolicy
{
    /// <summary>The batch is skipped: its entries are acknowledged, the failure counted, and the next batch runs.</summary>
    Continue,

    /// <summary>The registration stops with status ABORTED and the failure as its lastError; its entries stay pending until it is unpaused.</summary>
    Abort,

    /// <summary>The batch runs again every <c>onFailedRetryInterval</c> seconds until it succeeds (status WAITING_FOR_RETRY_ON_FAILURE meanwhile).</summary>
    Retry,
}
