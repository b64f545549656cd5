// The drawing page and its JSON API, on ASP.NET Core minimal APIs: serves one page (HTML, CSS and
// JavaScript embedded in this assembly: no build step, no CDN, works offline) and answers
//   POST /api/predict        {"pixels": [784 numbers in 0..1]}  → digit, probabilities, hidden activations, feature maps
//   POST /api/predict-image  an image file (body or multipart)   → the same, and the 28×28 input
//   GET  /api/model          the loaded model, and its hidden units' weights when there are few
//   GET  /api/test-image     a random MNIST test image and its label
// Every bad request gets a 4xx with {"error": "…"}; nothing a client sends produces a 500.
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ScratchNet.Data;
using ScratchNet.Images;
using ScratchNet.Layers;
using ScratchNet.Serialization;
using ScratchNet.Tensors;
using ScratchNet.Engines;
using ScratchNet.Inference;

namespace ScratchNet.Web;

public static class WebApp
{
    /// <summary>Largest JSON body accepted (1 MB).</summary>
    public const int MaxJsonBytes = 1 << 20;

    /// <summary>First-layer units up to which /api/model sends each unit's weights.</summary>
    public const int MaxPictureUnits = 64;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// The app for <paramref name="model"/>; <paramref name="test"/> serves "try a test image".
    /// <paramref name="configure"/> may adjust the builder (tests use an in-process server).
    /// </summary>
    /// <summary>
    /// Whether the page can serve <paramref name="model"/>: 784 inputs (a 28×28 drawing), at least two classes, and
    /// finite outputs for a blank and a fully inked drawing (huge weights overflow to NaN). Checked before listening,
    /// so that no request is ever answered 500 because of the model.
    /// </summary>
    /// <exception cref="InvalidDataException">The model cannot be served; the message says why.</exception>
    public static void CheckServable(Model model, string name)
    {
        Network network = model.Network;
        if (network.InputSize != 784)
        {
            throw new InvalidDataException($"{name}: the model takes {network.InputSize} inputs; the page draws 28×28 = 784-pixel digits. Serve a model trained on MNIST-sized images.");
        }
        if (network.OutputSize < 2)
        {
            throw new InvalidDataException($"{name}: the model has {network.OutputSize} output; the page needs at least two classes.");
        }
        var predictor = new Predictor(network);
        foreach (float ink in new[] { 0f, 1f })
        {
            var x = new float[784];
            Array.Fill(x, ink);
            if (predictor.Predict(x).Probabilities.Any(p => !float.IsFinite(p)))
            {
                throw new InvalidDataException($"{name}: the model's outputs are not finite for a {(ink == 0 ? "blank" : "fully inked")} drawing (its weights overflow); retrain it.");
            }
        }
    }

    public static WebApplication Build(Model model, Dataset? test, string url, Action<WebApplicationBuilder>? configure = null, EngineKind engine = EngineKind.Auto, DecodeGate? decodeGate = null)
    {
        DecodeGate decodes = decodeGate ?? DecodeGate.Default();   // lives as long as the app (one per process)
        CheckServable(model, "the model");
        var builder = WebApplication.CreateSlimBuilder();
        // No framework logging: `serve` prints the URL itself and reports a failure to start in one line.
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        var connections = new ConnectionGuard(ServerLimits.ConnectionCap(), ServerLimits.EvictableAfter);
        builder.WebHost.ConfigureKestrel(k => ServerLimits.Apply(k, ImageDecoder.MaxBytes, connections));
        // Sockets accepted and not yet disposed stay within Kestrel's backstop: a burst waits in the kernel's backlog
        builder.Services.RemoveAll<IConnectionListenerFactory>();
        builder.Services.AddSingleton<IConnectionListenerFactory>(provider => new AcceptThrottle(
            new SocketTransportFactory(provider.GetRequiredService<IOptions<SocketTransportOptions>>(), provider.GetRequiredService<ILoggerFactory>()),
            connections.Cap + ServerLimits.Backstop));
        configure?.Invoke(builder);
        var app = builder.Build();
        var network = model.Network;
        var gate = new object(); // a network reuses its buffers: one prediction at a time
        var predictor = new Predictor(network, engine); // one image at a time, as the chooser says
        var rng = new Rng((ulong)Environment.TickCount64);

        app.Use(connections.Requests);
        app.Use(async (context, next) =>
        {
            if (!ListenAddress.IsAllowedHostHeader(context.Request.Headers.Host))
            {
                // A name in Host (not localhost, not an address) is how a page elsewhere reaches a local server (DNS rebinding).
                await Error(context, StatusCodes.Status400BadRequest, $"The Host header '{context.Request.Headers.Host}' is not allowed: open the page by address (http://127.0.0.1:PORT) or as localhost.");
                return;
            }
            try
            {
                await next(context);
            }
            catch (BadHttpRequestException e)
            {
                await Error(context, e.StatusCode, e.Message);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                await Error(context, StatusCodes.Status400BadRequest, "The request could not be read completely.");
            }
        });

        // GET and HEAD wherever GET works; another method on a known path is 405 with Allow (below).
        string[] read = ["GET", "HEAD"];
        app.MapMethods("/", read, () => Asset("index.html", "text/html; charset=utf-8"));
        app.MapMethods("/app.js", read, () => Asset("app.js", "text/javascript; charset=utf-8"));
        app.MapMethods("/style.css", read, () => Asset("style.css", "text/css; charset=utf-8"));

        app.MapMethods("/api/model", read, () =>
        {
            Dense? first = network.Layers[0] as Dense;
            float[][]? weights = first is { Outputs: <= MaxPictureUnits } && first.Inputs == 784
                ? Enumerable.Range(0, first.Outputs).Select(u => first.W.Value.AsSpan(u * first.Inputs, first.Inputs).ToArray()).ToArray()
                : null;
            // A convolutional network: the first convolution's filters (first input channel), K×K each.
            Conv2D? conv = network.Layers.OfType<Conv2D>().FirstOrDefault();
            float[][]? filters = conv is { Shape.Filters: <= MaxPictureUnits }
                ? Enumerable.Range(0, conv.Shape.Filters).Select(o => conv.W.Value.AsSpan(o * conv.Shape.Patch, conv.Shape.Kernel * conv.Shape.Kernel).ToArray()).ToArray()
                : null;
            return Results.Json(new
            {
                shape = network.Shape,
                layers = network.Describe(),
                preset = model.Metadata.GetValueOrDefault("preset", ""),
                testAccuracy = double.TryParse(model.Metadata.GetValueOrDefault("test_accuracy", ""), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double accuracy) ? accuracy : (double?)null,
                hiddenUnits = network.DenseLayers.FirstOrDefault()?.Outputs ?? 0,
                hiddenWeights = weights,
                filters,
                kernel = conv?.Shape.Kernel,
                hasTestImages = test is not null,
                classNames = ClassNames.Of(model.Metadata, network.OutputSize),
            }, Json);
        });

        app.MapMethods("/api/test-image", read, () =>
        {
            if (test is null || test.Count == 0)
            {
                return Results.Json(new { error = "This server was started without test images." }, Json, statusCode: StatusCodes.Status404NotFound);
            }
            int index;
            lock (gate)
            {
                index = rng.NextInt(test.Count);
            }
            var pixels = new float[test.Features];
            Dataset.ToFloats(test.Image(index), pixels);
            return Results.Json(new { index, label = (int)test.Labels[index], pixels }, Json);
        });

        app.MapPost("/api/predict", async (HttpContext context) =>
        {
            if (!IsJson(context.Request.ContentType))
            {
                return Problem(StatusCodes.Status415UnsupportedMediaType, "Send the pixels as JSON (Content-Type: application/json): {\"pixels\": [784 numbers in 0..1]}.");
            }
            byte[]? body = await ReadBody(context, MaxJsonBytes);
            if (body is null)
            {
                return Problem(StatusCodes.Status413PayloadTooLarge, $"The body is over {MaxJsonBytes:N0} bytes; 784 numbers need far less.");
            }
            float[] x;
            try
            {
                x = ParsePixels(body, network.InputSize);
            }
            catch (FormatException e)
            {
                return Problem(StatusCodes.Status400BadRequest, e.Message);
            }
            if (x.Max() - x.Min() < 1e-6f)
            {
                // The same rule as for an uploaded image: one flat value is no digit.
                return Problem(StatusCodes.Status400BadRequest, "The drawing is blank: no ink found (every pixel has the same value). Draw one digit.");
            }
            Prediction prediction;
            lock (gate)
            {
                prediction = predictor.Predict(x);
            }
            return Results.Json(new { digit = prediction.Digit, probabilities = prediction.Probabilities, hidden = prediction.Hidden, maps = prediction.Maps }, Json);
        });

        app.MapPost("/api/predict-image", async (HttpContext context) =>
        {
            byte[]? bytes;
            string name = "upload";
            if (context.Request.ContentLength > ImageDecoder.MaxBytes + (64 * 1024))
            {
                return Problem(StatusCodes.Status413PayloadTooLarge, $"The image is over {ImageDecoder.MaxBytes / (1024 * 1024)} MB.");
            }
            if (context.Request.HasFormContentType)
            {
                IFormCollection form;
                try
                {
                    form = await context.Request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = ImageDecoder.MaxBytes });
                }
                catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
                {
                    return Problem(StatusCodes.Status400BadRequest, $"The form could not be read ({e.Message}). Send one image file.");
                }
                IFormFile? file = form.Files.Count > 0 ? form.Files[0] : null;
                if (file is null)
                {
                    return Problem(StatusCodes.Status400BadRequest, "The form holds no file. Send one image file (PNG, JPEG or BMP).");
                }
                if (file.Length > ImageDecoder.MaxBytes)
                {
                    return Problem(StatusCodes.Status413PayloadTooLarge, $"The image is over {ImageDecoder.MaxBytes / (1024 * 1024)} MB.");
                }
                name = Path.GetFileName(file.FileName);
                using var stream = new MemoryStream();
                await file.CopyToAsync(stream);
                bytes = stream.ToArray();
            }
            else
            {
                string type = (context.Request.ContentType ?? "").Split(';')[0].Trim();
                if (!DecodedTypes.Contains(type, StringComparer.OrdinalIgnoreCase))
                {
                    return Problem(StatusCodes.Status415UnsupportedMediaType, "Send an image (Content-Type image/png, image/jpeg or image/bmp), or a multipart form with one file.");
                }
                bytes = await ReadBody(context, (int)ImageDecoder.MaxBytes);
                if (bytes is null)
                {
                    return Problem(StatusCodes.Status413PayloadTooLarge, $"The image is over {ImageDecoder.MaxBytes / (1024 * 1024)} MB.");
                }
            }
            byte[] input;
            try
            {
                (input, bool ran) = await decodes.Run(token => (ImageInput.FromBytes(bytes, name, out long pixels, token), pixels), context.RequestAborted);
                if (!ran)
                {
                    return Problem(StatusCodes.Status503ServiceUnavailable, "The server is busy decoding other images; try again in a few seconds.");
                }
            }
            catch (InvalidDataException e)
            {
                return Problem(StatusCodes.Status400BadRequest, e.Message);
            }
            Prediction prediction;
            lock (gate)
            {
                prediction = predictor.Predict(input);
            }
            var x = new float[input.Length];
            Dataset.ToFloats(input, x);
            return Results.Json(new { digit = prediction.Digit, probabilities = prediction.Probabilities, hidden = prediction.Hidden, maps = prediction.Maps, input = x }, Json);
        });

        app.MapFallback((HttpContext context) =>
        {
            if (Allowed.TryGetValue(context.Request.Path.Value ?? "", out string? allow))
            {
                context.Response.Headers.Allow = allow;
                return Problem(StatusCodes.Status405MethodNotAllowed, $"{context.Request.Method} is not allowed on {context.Request.Path}; use {allow}.");
            }
            return Problem(StatusCodes.Status404NotFound, $"No such page or API: {context.Request.Method} {context.Request.Path}.");
        });
        return app;
    }

    /// <summary>The methods each path answers, for 405's Allow header.</summary>
    private static readonly Dictionary<string, string> Allowed = new()
    {
        ["/"] = "GET, HEAD", ["/app.js"] = "GET, HEAD", ["/style.css"] = "GET, HEAD",
        ["/api/model"] = "GET, HEAD", ["/api/test-image"] = "GET, HEAD",
        ["/api/predict"] = "POST", ["/api/predict-image"] = "POST",
    };

    /// <summary>The content types /api/predict-image decodes (the bytes are checked to be that format too).</summary>
    public static readonly string[] DecodedTypes = ["image/png", "image/jpeg", "image/jpg", "image/bmp", "image/x-bmp", "image/x-ms-bmp"];

    private static bool IsJson(string? contentType) =>
        contentType is not null && contentType.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The body, or null when it is longer than <paramref name="limit"/> bytes.</summary>
    private static async Task<byte[]?> ReadBody(HttpContext context, int limit)
    {
        if (context.Request.ContentLength > limit)
        {
            return null;
        }
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = limit;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>{"pixels": [n numbers in 0..1]} to floats, or a FormatException that says what is wrong.</summary>
    internal static float[] ParsePixels(byte[] body, int count)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new FormatException($"The body is not valid JSON ({e.Message}).");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("pixels", out JsonElement pixels))
            {
                throw new FormatException("The body must be a JSON object with \"pixels\": [784 numbers in 0..1].");
            }
            if (pixels.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("\"pixels\" must be an array of numbers.");
            }
            if (pixels.GetArrayLength() != count)
            {
                throw new FormatException($"\"pixels\" has {pixels.GetArrayLength()} values; the model needs {count} (a 28×28 image, row by row).");
            }
            var x = new float[count];
            int i = 0;
            foreach (JsonElement value in pixels.EnumerateArray())
            {
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double v) || !double.IsFinite(v))
                {
                    throw new FormatException($"pixels[{i}] is not a finite number.");
                }
                if (v is < 0 or > 1)
                {
                    throw new FormatException($"pixels[{i}] is {v}; values must be in 0..1 (ink 1, background 0).");
                }
                x[i++] = (float)v;
            }
            return x;
        }
    }

    private static IResult Problem(int status, string message) => Results.Json(new { error = message }, Json, statusCode: status);

    private static async Task Error(HttpContext context, int status, string message)
    {
        if (!context.Response.HasStarted)
        {
            context.Response.StatusCode = status;
            await context.Response.WriteAsJsonAsync(new { error = message }, Json);
        }
    }

    private static IResult Asset(string name, string contentType)
    {
        using Stream stream = typeof(WebApp).Assembly.GetManifestResourceStream("wwwroot/" + name)
            ?? throw new InvalidOperationException($"The page asset {name} is missing from the build.");
        using var reader = new StreamReader(stream);
        return Results.Text(reader.ReadToEnd(), contentType);
    }
}
