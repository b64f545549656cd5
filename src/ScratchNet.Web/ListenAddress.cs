// Where `serve` listens, checked before anything starts: an IP address (IPv4 written in full, four
// numbers 0..255, or IPv6) or `localhost`, nothing else — a typo must not fall back to every interface.
// And which Host headers a request may carry: `localhost` or an IP address, never a name, so that a
// web page elsewhere cannot reach the server through a name that resolves to it (DNS rebinding).
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ScratchNet.Web;

public sealed record ListenAddress(string Host, IPAddress? Address)
{
    /// <summary>Whether only this machine can connect (localhost, 127.0.0.0/8, ::1).</summary>
    public bool IsLoopback => Address is null || IPAddress.IsLoopback(Address);

    /// <summary>The URL Kestrel listens on at <paramref name="port"/> (IPv6 in brackets).</summary>
    public string Url(int port) => Address is { AddressFamily: AddressFamily.InterNetworkV6 }
        ? $"http://[{Address}]:{port.ToString(CultureInfo.InvariantCulture)}"
        : $"http://{Host}:{port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The warning to print before listening on an address other machines can reach; null for loopback.</summary>
    public string? Warning => IsLoopback
        ? null
        : $"warning: --host {Host} serves the page and its API to every machine that can reach this one; they have no authentication. Use --host 127.0.0.1 to keep it to this machine.";

    /// <summary>Parses a --host value.</summary>
    /// <exception cref="ArgumentException">Not an IP address or localhost; the message says what to give.</exception>
    public static ListenAddress Parse(string host)
    {
        string text = host.Trim();
        if (text.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return new ListenAddress("localhost", null);
        }
        string inner = text.StartsWith('[') && text.EndsWith(']') ? text[1..^1] : text;
        bool ipv6 = inner.Contains(':', StringComparison.Ordinal);
        if ((ipv6 || IsDottedQuad(inner)) && IPAddress.TryParse(inner, out IPAddress? address) && !(ipv6 && inner.Contains('%', StringComparison.Ordinal)))
        {
            return new ListenAddress(address.ToString(), address);
        }
        throw new ArgumentException($"--host '{host}': give an IP address (127.0.0.1 for this machine only, 0.0.0.0 for every interface, or one of this machine's addresses such as 192.0.2.10 or ::1) or localhost.");
    }

    /// <summary>Whether a request's Host header (host, or host:port) names localhost or an IP address.</summary>
    public static bool IsAllowedHostHeader(string? hostHeader)
    {
        if (string.IsNullOrEmpty(hostHeader))
        {
            return false;
        }
        string host = hostHeader;
        if (host.StartsWith('['))
        {
            int close = host.IndexOf(']', StringComparison.Ordinal);
            return close > 1 && IPAddress.TryParse(host[1..close], out _) && (close == host.Length - 1 || host[close + 1] == ':');
        }
        int colon = host.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            host = host[..colon];
        }
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IsDottedQuad(host) && IPAddress.TryParse(host, out _));
    }

    /// <summary>Four decimal numbers 0..255 joined by dots (IPAddress.TryParse also takes "1.2.3" and "0x7f.1").</summary>
    private static bool IsDottedQuad(string text)
    {
        string[] parts = text.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is >= 1 and <= 3 && p.All(char.IsAsciiDigit) && int.Parse(p, CultureInfo.InvariantCulture) <= 255);
    }
}
