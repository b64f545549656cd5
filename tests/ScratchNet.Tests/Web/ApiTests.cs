// The JSON API in-process (ASP.NET Core's test server): good requests answer, and every bad
// request gets a 4xx with a JSON error — never a 500.
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using ScratchNet.Layers;
using ScratchNet.Reports;
using ScratchNet.Serialization;
using ScratchNet.Tensors;
using ScratchNet.Web;

namespace ScratchNet.Tests.Web;

public sealed class ApiTests : IAsyncLifetime
{
    private WebApplication app = null!;
    private HttpClient client = null!;
    private Network network = null!;

    public async Task InitializeAsync()
    {
        network = Network.CreateDense([784, 10, 10], "relu");
        network.Initialize(Initializer.He, new Rng(1));
        var model = new Model(network, new Dictionary<string, string> { ["preset"] = "seed" });
        app = WebApp.Build(model, TestData.MnistSets.Test.Take(100), "http://127.0.0.1:0", b => b.WebHost.UseTestServer());
        await app.StartAsync();
        client = app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await app.DisposeAsync();
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Pixels(int count, string value = "0.5") => "{\"pixels\": [" + string.Join(",", Enumerable.Repeat(value, count)) + "]}";

    /// <summary>784 pixels: a vertical bar of ink (1) on an empty page (0).</summary>
    private static float[] Bar() => [.. Enumerable.Range(0, 784).Select(i => i % 28 is >= 12 and < 16 && i / 28 is >= 4 and < 24 ? 1f : 0f)];

    private static string PixelsJson(float[] pixels) => "{\"pixels\": [" + string.Join(",", pixels.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]}";

    private async Task<(HttpStatusCode Status, JsonObject Body)> Send(HttpRequestMessage request)
    {
        HttpResponseMessage response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        return (response.StatusCode, (JsonObject)JsonNode.Parse(text)!);
    }

    private Task<(HttpStatusCode Status, JsonObject Body)> Post(string path, HttpContent content) =>
        Send(new HttpRequestMessage(HttpMethod.Post, path) { Content = content });

    [Fact]
    public async Task Predict_answers_probabilities_digit_and_hidden_activations()
    {
        var (status, body) = await Post("/api/predict", Json(PixelsJson(Bar())));
        Assert.Equal(HttpStatusCode.OK, status);
        var probabilities = body["probabilities"]!.AsArray().Select(p => (double)p!).ToList();
        Assert.Equal(10, probabilities.Count);
        Assert.Equal(1.0, probabilities.Sum(), 4);
        Assert.Equal(probabilities.IndexOf(probabilities.Max()), (int)body["digit"]!);
        Assert.Equal(10, body["hidden"]!.AsArray().Count);
        // The very numbers the model gives for these pixels, from the layer engine.
        var X = new Matrix(1, 784, Bar());
        float[] expected = TestData.Predict(network, X).Span.ToArray();
        for (int j = 0; j < 10; j++)
        {
            Assert.Equal(expected[j], probabilities[j], 6);
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.5")]
    public async Task A_blank_drawing_is_refused_like_a_blank_image(string value)
    {
        var (status, body) = await Post("/api/predict", Json(Pixels(784, value)));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("no ink found", (string)body["error"]!);
    }

    [Theory]
    [InlineData("image/gif")]
    [InlineData("image/webp")]
    [InlineData("image/svg+xml")]
    [InlineData("application/octet-stream")]
    public async Task Content_types_it_does_not_decode_get_415(string type)
    {
        var content = new ByteArrayContent(DigitPng());
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        var (status, _) = await Post("/api/predict-image", content);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
    }

    [Theory]
    [InlineData("GET", "/api/predict", "POST")]
    [InlineData("PUT", "/api/predict-image", "POST")]
    [InlineData("POST", "/api/model", "GET, HEAD")]
    public async Task A_wrong_method_on_a_known_path_is_405_with_Allow(string method, string path, string allow)
    {
        HttpResponseMessage response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(allow, string.Join(", ", response.Content.Headers.Allow));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/api/model")]
    public async Task HEAD_works_wherever_GET_does(string path)
    {
        HttpResponseMessage response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_model_answers_numbers_as_JSON_numbers()
    {
        var (status, model) = await Send(new HttpRequestMessage(HttpMethod.Get, "/api/model"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(System.Text.Json.JsonValueKind.Number, model["hiddenUnits"]!.GetValueKind());
        Assert.True(model["testAccuracy"] is null || model["testAccuracy"]!.GetValueKind() == System.Text.Json.JsonValueKind.Number);
    }

    [Fact]
    public async Task Every_request_in_the_READMEs_API_table_is_served_and_no_other_method()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "README.md")) || !Directory.Exists(Path.Combine(root, "src")))
        {
            root = Path.GetDirectoryName(root)!;
        }
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var rows = System.Text.RegularExpressions.Regex.Matches(readme, @"^\| `(GET|POST) (/api/[a-z-]+)`", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => (Method: m.Groups[1].Value, Path: m.Groups[2].Value)).ToList();
        Assert.Equal(["GET /api/model", "GET /api/test-image", "POST /api/predict", "POST /api/predict-image"], rows.Select(r => $"{r.Method} {r.Path}").Order().ToList());
        foreach (var (method, path) in rows)
        {
            // The documented method reaches the handler (never 404 or 405); the other one is 405 with Allow naming it.
            HttpResponseMessage answer = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.NotEqual(HttpStatusCode.NotFound, answer.StatusCode);
            Assert.NotEqual(HttpStatusCode.MethodNotAllowed, answer.StatusCode);
            HttpResponseMessage wrong = await client.SendAsync(new HttpRequestMessage(method == "GET" ? HttpMethod.Post : HttpMethod.Get, path));
            Assert.Equal(HttpStatusCode.MethodNotAllowed, wrong.StatusCode);
            Assert.Contains(method, wrong.Content.Headers.Allow);
        }
    }

    [Fact]
    public async Task A_request_whose_Host_names_another_site_is_refused()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/model");
        request.Headers.Host = "evil.example";
        var (status, body) = await Send(request);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Host header 'evil.example' is not allowed", (string)body["error"]!);
    }

    public static TheoryData<string, string> BadPixels() => new()
    {
        { Pixels(783), "has 783 values" },
        { Pixels(785), "has 785 values" },
        { Pixels(784, "1.5"), "values must be in 0..1" },
        { Pixels(784, "-0.1"), "values must be in 0..1" },
        { Pixels(784, "\"NaN\""), "not a finite number" },
        { Pixels(784, "NaN"), "not valid JSON" },
        { Pixels(784, "null"), "not a finite number" },
        { "{\"pixels\": [0.1, ", "not valid JSON" },
        { "[1, 2, 3]", "must be a JSON object" },
        { "{\"pixel\": []}", "must be a JSON object with \"pixels\"" },
        { "{\"pixels\": \"abc\"}", "must be an array" },
        { "", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadPixels))]
    public async Task Bad_pixels_get_400_with_a_json_error(string body, string expected)
    {
        var (status, json) = await Post("/api/predict", Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, (string)json["error"]!);
    }

    [Fact]
    public async Task Wrong_content_type_gets_415()
    {
        var (status, json) = await Post("/api/predict", new StringContent(Pixels(784), Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains("application/json", (string)json["error"]!);
        (status, _) = await Post("/api/predict-image", new StringContent("hello", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
    }

    [Fact]
    public async Task Bodies_over_the_limits_get_413()
    {
        string big = "{\"pixels\": [" + new string(' ', WebApp.MaxJsonBytes) + "]}";
        var (status, json) = await Post("/api/predict", Json(big));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("over", (string)json["error"]!);
        var image = new ByteArrayContent(new byte[ScratchNet.Images.ImageDecoder.MaxBytes + 1]);
        image.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        (status, _) = await Post("/api/predict-image", image);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
    }

    private static ByteArrayContent Png(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return content;
    }

    private static byte[] DigitPng()
    {
        var image = new RgbImage(60, 60);
        image.Fill((255, 255, 255));
        for (int y = 10; y < 50; y++)
        {
            for (int x = 27; x < 33; x++)
            {
                image.Set(x, y, (0, 0, 0));
            }
        }
        return image.ToPng();
    }

    [Fact]
    public async Task Images_are_predicted_from_a_raw_body_and_from_a_form()
    {
        var (status, body) = await Post("/api/predict-image", Png(DigitPng()));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(784, body["input"]!.AsArray().Count);
        var form = new MultipartFormDataContent { { Png(DigitPng()), "file", "one.png" } };
        (status, body) = await Post("/api/predict-image", form);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(10, body["probabilities"]!.AsArray().Count);
    }

    [Fact]
    public async Task Bad_images_get_400_with_a_json_error()
    {
        byte[] huge = new RgbImage(20, 20).ToPng();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(huge.AsSpan(16), 100_000);
        foreach (var (bytes, expected) in new[]
        {
            ("not an image"u8.ToArray(), "not a PNG, JPEG or BMP"),
            (huge, "4096×4096"),
            (new RgbImage(20, 20).ToPng(), "no ink found"),
            (DigitPng()[..60], "corrupt"),
        })
        {
            var (status, json) = await Post("/api/predict-image", Png(bytes));
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains(expected, (string)json["error"]!);
        }
        var (formStatus, formJson) = await Post("/api/predict-image", new MultipartFormDataContent { { new StringContent("x"), "note" } });
        Assert.Equal(HttpStatusCode.BadRequest, formStatus);
        Assert.Contains("no file", (string)formJson["error"]!);
    }

    [Fact]
    public async Task The_model_test_images_page_and_unknown_paths()
    {
        var (status, model) = await Send(new HttpRequestMessage(HttpMethod.Get, "/api/model"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("784-10-10", (string)model["shape"]!);
        Assert.Equal(10, model["hiddenWeights"]!.AsArray().Count);
        Assert.Equal(784, model["hiddenWeights"]![0]!.AsArray().Count);

        var (testStatus, image) = await Send(new HttpRequestMessage(HttpMethod.Get, "/api/test-image"));
        Assert.Equal(HttpStatusCode.OK, testStatus);
        Assert.Equal(784, image["pixels"]!.AsArray().Count);
        Assert.InRange((int)image["label"]!, 0, 9);

        string page = await client.GetStringAsync("/");
        Assert.Contains("<canvas id=\"pad\"", page);
        Assert.DoesNotContain("https://", page);
        Assert.Contains("api/predict-image", await client.GetStringAsync("/app.js"));

        var (missing, error) = await Send(new HttpRequestMessage(HttpMethod.Get, "/api/nothing"));
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Contains("No such page", (string)error["error"]!);
    }
}
