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
        List<HttpStatusCode> answers = await Flood(gate, BigPng(2048), clients: 6);
        Assert.All(answers, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.InRange(gate.Peak, 1, 2);
    }

    [Fact]
    public async Task A_request_that_waits_too_long_for_a_decode_is_answered_503()
    {
        using var gate = new DecodeGate(1, TimeSpan.FromMilliseconds(1));
        List<HttpStatusCode> answers = await Flood(gate, BigPng(2048), clients: 4);
        Assert.Contains(HttpStatusCode.ServiceUnavailable, answers);
        Assert.Contains(HttpStatusCode.OK, answers);
        Assert.DoesNotContain(HttpStatusCode.InternalServerError, answers);
        Assert.Equal(1, gate.Peak);
    }
}
