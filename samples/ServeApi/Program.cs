// A digit-reading web API in an ASP.NET Core minimal API, with a pretrained ScratchNet model:
//   curl --data-binary @my-digit.png -H 'Content-Type: image/png' http://localhost:5000/predict
//   → {"digit":7,"confidence":0.99,"probabilities":[…]}
// POST /predict-pixels takes {"pixels":[784 numbers 0–255]}. Bad images get 400 with the reason.
using ScratchNet;
using ScratchNet.Images;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 2 * 1024 * 1024);
var app = builder.Build();

Digits model = Digits.LoadPretrained();   // thread-safe: requests share it
app.Logger.LogInformation("Serving {Model}", model);

app.MapPost("/predict", async (HttpRequest request) =>
{
    using var body = new MemoryStream();
    await request.Body.CopyToAsync(body);
    try
    {
        return Results.Ok(model.PredictImage(body.ToArray(), "upload"));
    }
    catch (InvalidDataException e)
    {
        return Results.BadRequest(new { error = e.Message });
    }
});

app.MapPost("/predict-pixels", (PixelsRequest request) =>
    request.Pixels is { Length: Digits.Pixels } pixels && pixels.All(p => p is >= 0 and <= 255)
        ? Results.Ok(model.Predict(pixels.Select(p => (byte)p).ToArray()))
        : Results.BadRequest(new { error = $"give \"pixels\": {Digits.Pixels} numbers 0–255, row-major 28×28, ink high" }));

app.Run();

internal sealed record PixelsRequest(int[]? Pixels);
