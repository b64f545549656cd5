// The accept throttle in front of serve's socket transport: at most Limit accepted sockets not yet
// disposed; the next accept waits until one is disposed, and then goes on — or ends when the server
// stops listening.
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ScratchNet.Web;

namespace ScratchNet.Tests.Web;

public class AcceptThrottleTests
{
    [Fact]
    public async Task Accepts_wait_at_the_limit_and_go_on_when_a_connection_is_disposed()
    {
        using var throttle = new AcceptThrottle(new SocketTransportFactory(Options.Create(new SocketTransportOptions()), NullLoggerFactory.Instance), 3);
        await using IConnectionListener listener = await throttle.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)listener.EndPoint).Port;
        var clients = new List<Socket>();
        try
        {
            for (int i = 0; i < 5; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await client.ConnectAsync(IPAddress.Loopback, port);   // the kernel completes it; the server accepts when it may
                clients.Add(client);
            }
            var accepted = new List<ConnectionContext>();
            for (int i = 0; i < 3; i++)
            {
                accepted.Add((await listener.AcceptAsync())!);
            }
            Assert.Equal(3, throttle.Live);
            // A fourth waits: two more are queued in the backlog, but three are held
            ValueTask<ConnectionContext?> fourth = listener.AcceptAsync();
            await Task.Delay(300);
            Assert.False(fourth.IsCompleted, "a fourth socket was accepted while three were held");
            // Disposing one lets the fourth in
            await accepted[0].DisposeAsync();
            ConnectionContext? next = await fourth.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            Assert.NotNull(next);
            accepted[0] = next!;
            Assert.Equal(3, throttle.Live);
            // Disposing twice gives one permit back, not two
            await accepted[1].DisposeAsync();
            await accepted[1].DisposeAsync();
            accepted.RemoveAt(1);
            Assert.Equal(2, throttle.Live);
            foreach (ConnectionContext c in accepted)
            {
                await c.DisposeAsync();
            }
            Assert.Equal(0, throttle.Live);
        }
        finally
        {
            foreach (Socket client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task An_accept_waiting_for_room_ends_when_the_listener_is_unbound()
    {
        using var throttle = new AcceptThrottle(new SocketTransportFactory(Options.Create(new SocketTransportOptions()), NullLoggerFactory.Instance), 1);
        await using IConnectionListener listener = await throttle.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)listener.EndPoint).Port;
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, port);
        ConnectionContext held = (await listener.AcceptAsync())!;
        try
        {
            ValueTask<ConnectionContext?> waiting = listener.AcceptAsync();
            await Task.Delay(100);
            Assert.False(waiting.IsCompleted);
            // A server stopping with every permit held: the waiting accept ends, it does not hold the stop
            await listener.UnbindAsync();
            Assert.Null(await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        }
        finally
        {
            await held.DisposeAsync();
        }
    }
}
