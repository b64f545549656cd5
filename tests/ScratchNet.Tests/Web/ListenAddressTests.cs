// `serve --host`: only an IP address or localhost is accepted (a typo never falls back to every
// interface), a non-loopback address gets a warning, and a Host header that names anything but
// localhost or an address is refused (DNS rebinding).
using ScratchNet.Web;

namespace ScratchNet.Tests.Web;

public class ListenAddressTests
{
    [Theory]
    [InlineData("127.0.0.l")]
    [InlineData("a b")]
    [InlineData("999.1.1.1")]
    [InlineData("example.invalid")]
    [InlineData("*")]
    [InlineData("")]
    [InlineData("1.2.3")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("http://x")]
    [InlineData("127.0.0.1/path")]
    [InlineData("127.0.0.1:5000")]
    public void Anything_but_an_address_or_localhost_is_refused(string host)
    {
        var ex = Assert.Throws<ArgumentException>(() => ListenAddress.Parse(host));
        Assert.StartsWith($"--host '{host}': give an IP address", ex.Message);
    }

    [Theory]
    [InlineData("127.0.0.1", "http://127.0.0.1:5000", true)]
    [InlineData("localhost", "http://localhost:5000", true)]
    [InlineData("::1", "http://[::1]:5000", true)]
    [InlineData("[::1]", "http://[::1]:5000", true)]
    [InlineData("127.1.2.3", "http://127.1.2.3:5000", true)]
    [InlineData("0.0.0.0", "http://0.0.0.0:5000", false)]
    [InlineData("192.0.2.10", "http://192.0.2.10:5000", false)]
    public void Addresses_and_localhost_are_accepted_and_only_loopback_goes_without_a_warning(string host, string url, bool loopback)
    {
        ListenAddress address = ListenAddress.Parse(host);
        Assert.Equal(url, address.Url(5000));
        Assert.Equal(loopback, address.IsLoopback);
        Assert.Equal(loopback, address.Warning is null);
        if (!loopback)
        {
            Assert.Contains("every machine that can reach this one", address.Warning);
        }
    }

    [Theory]
    [InlineData("localhost", true)]
    [InlineData("localhost:5000", true)]
    [InlineData("127.0.0.1:5000", true)]
    [InlineData("[::1]:5000", true)]
    [InlineData("192.0.2.10", true)]
    [InlineData("evil.example", false)]
    [InlineData("evil.example:5000", false)]
    [InlineData("127.0.0.1.nip.io", false)]
    [InlineData("", false)]
    [InlineData("[::1", false)]
    public void Only_localhost_and_addresses_are_allowed_in_the_Host_header(string header, bool allowed)
    {
        Assert.Equal(allowed, ListenAddress.IsAllowedHostHeader(header));
    }
}
