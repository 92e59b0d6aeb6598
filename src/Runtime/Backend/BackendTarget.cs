using System.Net;
using System.Net.Sockets;

namespace SharpGears.Runtime.Backend;

/// <summary>Where the backend Redis is and how the gateway's own connection logs in to it.</summary>
/// <param name="EndPoint">A TCP end point, or a <see cref="UnixDomainSocketEndPoint"/>.</param>
/// <param name="Database">The database clients start in (and the engine works in).</param>
/// <param name="User">The ACL user of the gateway's own connection, or null.</param>
/// <param name="Password">Its password, or null. Client connections never use it: the backend decides
/// what each client may do, from the credentials the client itself gives.</param>
internal sealed record BackendTarget(EndPoint EndPoint, int Database, string? User, string? Password)
{
    /// <summary>
    /// Parses <c>redis://[user:password@]host:port[/db]</c>, or <c>unix:///path/to/redis.sock[?db=N]</c>.
    /// </summary>
    public static BackendTarget Parse(string url, string option = "--backend")
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw new FormatException($"{option} '{url}' is not a URL; expected redis://[user:password@]host:port[/db]");
        }
        string? user = null, password = null;
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            user = parts.Length == 2 && parts[0].Length > 0 ? Uri.UnescapeDataString(parts[0]) : null;
            password = Uri.UnescapeDataString(parts.Length == 2 ? parts[1] : parts[0]);
        }
        switch (uri.Scheme)
        {
            case "redis":
                var database = 0;
                var path = uri.AbsolutePath.Trim('/');
                if (path.Length > 0 && (!int.TryParse(path, out database) || database < 0))
                {
                    throw new FormatException($"{option} '{url}': the database '{path}' is not a number");
                }
                var port = uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port;
                EndPoint endPoint = IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address)
                    ? new IPEndPoint(address, port)
                    : new DnsEndPoint(uri.Host, port);
                return new BackendTarget(endPoint, database, user, password);
            case "unix":
                var query = System.Web.HttpUtility.ParseQueryString(uri.Query);
                _ = int.TryParse(query["db"], out var db);
                return new BackendTarget(new UnixDomainSocketEndPoint(uri.AbsolutePath), db, user, password);
            default:
                throw new FormatException($"{option} '{url}': the scheme must be redis:// or unix://");
        }
    }

    public override string ToString() => EndPoint switch
    {
        UnixDomainSocketEndPoint unix => $"unix:{unix}",
        _ => EndPoint.ToString() ?? "?",
    } + (Database != 0 ? $"/{Database}" : "");
}
