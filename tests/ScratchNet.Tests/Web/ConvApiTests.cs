// The JSON API with a convolutional model: /api/model sends the first convolution's filters (and no
// dense-unit pictures), /api/predict the probabilities the model gives, the dense hidden layer's
// activations and the first feature maps of the drawing.
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using ScratchNet.Layers;
using ScratchNet.Serialization;
using ScratchNet.Tensors;
using ScratchNet.Web;

namespace ScratchNet.Tests.Web;

public sealed class ConvApiTests : IAsyncLifetime
{
    private WebApplication app = null!;
    private HttpClient client = null!;
    private Network network = null!;

    public async Task InitializeAsync()
    {
        network = Network.Create(Architecture.Parse("conv4k3,bn,relu,pool,dense16,relu,10", 784));
        network.Initialize(Initializer.He, new Rng(1));
        app = WebApp.Build(new Model(network, new Dictionary<string, string> { ["preset"] = "cnn-fast" }), TestData.MnistSets.Test.Take(10), "http://127.0.0.1:0", b => b.WebHost.UseTestServer());
        await app.StartAsync();
        client = app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await app.DisposeAsync();
    }

    [Fact]
    public async Task The_model_sends_its_first_filters()
    {
        var model = (JsonObject)JsonNode.Parse(await client.GetStringAsync("/api/model"))!;
        JsonArray filters = model["filters"]!.AsArray();
        Assert.Equal(4, filters.Count);
        Assert.All(filters, f => Assert.Equal(9, f!.AsArray().Count));
        Assert.Equal(3, (int)model["kernel"]!);
        Assert.Equal(((Conv2D)network.Layers[0]).W.Value[9], (float)filters[1]![0]!);
        Assert.Null(model["hiddenWeights"]);
    }

    [Fact]
    public async Task A_prediction_has_the_models_probabilities_the_dense_activations_and_the_feature_maps()
    {
        float[] pixels = [.. Enumerable.Range(0, 784).Select(i => i % 28 is >= 12 and < 16 && i / 28 is >= 4 and < 24 ? 1f : 0f)];
        string json = "{\"pixels\": [" + string.Join(",", pixels.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]}";
        HttpResponseMessage response = await client.PostAsync("/api/predict", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        float[] expected = TestData.Predict(network, new Matrix(1, 784, pixels)).Span.ToArray();
        JsonArray probabilities = body["probabilities"]!.AsArray();
        for (int j = 0; j < 10; j++)
        {
            Assert.Equal(expected[j], (float)probabilities[j]!, 6);
        }
        Assert.Equal(16, body["hidden"]!.AsArray().Count);
        JsonObject maps = body["maps"]!.AsObject();
        Assert.Equal((4, 28, 28), ((int)maps["channels"]!, (int)maps["height"]!, (int)maps["width"]!));
        JsonArray values = maps["values"]!.AsArray();
        Assert.Equal(4 * 784, values.Count);
        Assert.All(values, v => Assert.True((float)v! >= 0f));   // after batch norm and ReLU
    }
}
