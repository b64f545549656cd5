// Image decoding runs behind a gate: never more decodes at once than its slots, a request that cannot
// get a slot within the queue timeout is answered 503 (never 500), and a large image's memory is
// given back afterwards. Bounded, in-process (the test server), with small PNGs declaring many pixels.
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using ScratchNet.Layers;
using ScratchNet.Reports;
using ScratchNet.Serialization;
using ScratchNet.Tensors;
using ScratchNet.Web;

namespace ScratchNet.Tests.Web;

public class DecodeGateTests
{
    /// <summary>A white PNG of side × side pixels with a black bar: a few kilobytes that decode to side² pixels.</summary>
    private static byte[] BigPng(int side)
    {
        var image = new RgbImage(side, side);
        image.Fill((255, 255, 255));
        for (int y = side / 5; y < side * 4 / 5; y++)
        {
            for (int x = (side / 2) - (side / 20); x < (side / 2) + (side / 20); x++)
            {
                image.Set(x, y, (0, 0, 0));
            }
        }
        return image.ToPng();
    }

    private static async Task<List<HttpStatusCode>> Flood(DecodeGate gate, byte[] png, int clients)
    {
        Network network = Network.CreateDense([784, 10, 10], "relu");
        network.Initialize(Initializer.He, new Rng(1));
        await using WebApplication app = WebApp.Build(new Model(network, new Dictionary<string, string>()), null, "http://127.0.0.1:0", b => b.WebHost.UseTestServer(), decodeGate: gate);
        await app.StartAsync();
        using HttpClient client = app.GetTestClient();
        var requests = Enumerable.Range(0, clients).Select(async _ =>
        {
            var content = new ByteArrayContent(png);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            using HttpResponseMessage response = await client.PostAsync(new Uri("/api/predict-image", UriKind.Relative), content);
            return response.StatusCode;
        });
        return [.. await Task.WhenAll(requests)];
    }

    [Fact]
    public async Task Decodes_never_run_more_at_once_than_the_gate_allows()
    {
        using var gate = new DecodeGate(2, TimeSpan.FromSeconds(60));
        int running = 0, most = 0;
        (int, long) Decode(CancellationToken token)
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            Thread.Sleep(50);
            Interlocked.Decrement(ref running);
            return (now, 0L);
        }
        var all = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => gate.Run(Decode, CancellationToken.None))));
        Assert.All(all, r => Assert.True(r.Ran));
        Assert.InRange(most, 1, 2);
        Assert.InRange(gate.Peak, 1, 2);
        // And through the page: large images decode and are answered.
        Assert.All(await Flood(gate, BigPng(2048), clients: 3), status => Assert.Equal(HttpStatusCode.OK, status));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    [Fact]
    public async Task A_request_that_waits_too_long_for_a_decode_is_answered_503()
    {
        using var gate = new DecodeGate(1, TimeSpan.FromMilliseconds(50));
        using var release = new ManualResetEventSlim();
        // Another decode holds the only slot until released.
        Task<(string Result, bool Ran)> holder = gate.Run(token => { release.Wait(TimeSpan.FromSeconds(30), token); return ("held", 0L); }, CancellationToken.None);
        while (gate.Peak == 0)
        {
            await Task.Delay(5);
        }
        List<HttpStatusCode> busy = await Flood(gate, BigPng(64), clients: 1);
        release.Set();
        Assert.Equal((("held", true)), await holder);
        List<HttpStatusCode> free = await Flood(gate, BigPng(64), clients: 1);
        Assert.Equal([HttpStatusCode.ServiceUnavailable], busy);
        Assert.Equal([HttpStatusCode.OK], free);
    }

    [Fact]
    public async Task A_request_whose_client_has_gone_is_not_decoded()
    {
        using var gate = new DecodeGate(1, TimeSpan.FromSeconds(10));
        using var gone = new CancellationTokenSource();
        await gone.CancelAsync();
        bool decoded = false;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gate.Run(_ => { decoded = true; return ("x", 0L); }, gone.Token));
        Assert.False(decoded);
    }

    [Fact]
    public async Task A_decode_whose_client_goes_away_stops_at_once()
    {
        // 11 scans over a 4096×4096 frame: within the scan budget, about a second of decoding.
        byte[] bomb = ScratchNet.Tests.Images.JpegBudgetTests.ScanBomb(4096, 4096, 11, huffman: true);
        using var gate = new DecodeGate(1, TimeSpan.FromSeconds(10));
        using var gone = new CancellationTokenSource();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Task<(byte[] Result, bool Ran)> decode = gate.Run(token => (ScratchNet.Images.ImageInput.FromBytes(bomb, "bomb.jpg", out long pixels, token), pixels), gone.Token);
        // The client leaves 30 ms into the decode (cancelled from a thread of its own: a busy thread pool cannot delay it).
        var leaver = new Thread(() =>
        {
            while (gate.Peak == 0)
            {
                Thread.Sleep(1);
            }
            Thread.Sleep(30);
            gone.Cancel();
        });
        leaver.Start();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => decode);
        leaver.Join();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"stopped after {clock.Elapsed}");   // a hang guard; the decode itself takes about a second
    }
}
