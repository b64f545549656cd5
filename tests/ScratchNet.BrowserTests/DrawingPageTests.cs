// The drawing page in a real browser: Debian's Chromium, headless, driven by Playwright (never a
// downloaded browser). Starts `scratchnet serve` with a freshly trained model on a free loopback
// port, draws a "1" and a "0" with mouse strokes, and checks the prediction the page shows. Skips with the reason where no Chromium
// is installed; .ci/run installs it.
using System.Diagnostics;
using Microsoft.Playwright;
using ScratchNet.Data;
using ScratchNet.Serialization;
using ScratchNet.Training;

namespace ScratchNet.BrowserTests;

public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Chromium = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Chromium))
        {
            Skip = $"No Chromium at {Chromium}: install Debian's chromium package (apt-get install chromium) to run the browser test.";
        }
    }
}

public class DrawingPageTests
{
    private static async Task DrawAsync(IPage page, ILocator pad, IReadOnlyList<(float X, float Y)> points)
    {
        var box = (await pad.BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box.X + points[0].X, box.Y + points[0].Y);
        await page.Mouse.DownAsync();
        foreach (var (x, y) in points.Skip(1))
        {
            await page.Mouse.MoveAsync(box.X + x, box.Y + y, new() { Steps = 2 });
        }
        await page.Mouse.UpAsync();
    }

    private static async Task<string> PredictionAfterDrawingAsync(IPage page, IReadOnlyList<(float X, float Y)> points)
    {
        await page.ClickAsync("#clear");
        await DrawAsync(page, page.Locator("#pad"), points);
        // The page asks the server after the stroke ends; wait for an answer after the clear.
        await page.WaitForFunctionAsync("() => /^[0-9]$/.test(document.getElementById('prediction').textContent)", null, new() { Timeout = 15_000 });
        await page.WaitForTimeoutAsync(500); // a last in-flight answer, if any
        return await page.InnerTextAsync("#prediction");
    }

    [ChromiumFact]
    public async Task Drawing_a_one_and_a_zero_shows_them_as_the_top_prediction()
    {
        string dir = MnistData.FindShippedDirectory() ?? throw new InvalidOperationException("data/mnist not found");
        TrainTest sets = MnistData.Load(dir, verifyPinned: false);
        TrainingResult trained = new Trainer(Presets.Get("seed-tuned") with { Epochs = 10 }).Train(sets.Train, null);
        string modelPath = Path.Combine(Path.GetTempPath(), $"scratchnet-browser-{Guid.NewGuid():N}.safetensors");
        ModelFile.Save(modelPath, trained.Network, new Dictionary<string, string> { ["preset"] = "seed-tuned" });

        // `scratchnet serve` itself, as a separate process, on a free loopback port.
        using var server = Process.Start(new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "ScratchNet.Cli.dll"), "serve", "--model", modelPath, "--port", "0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(Path.GetDirectoryName(dir))!,
        })!;
        try
        {
            string url = await ReadUrlAsync(server);
            await RunPageAsync(url);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            File.Delete(modelPath);
        }
    }

    /// <summary>The address from the server's "Serving … on http://127.0.0.1:PORT" line.</summary>
    private static async Task<string> ReadUrlAsync(Process server)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await server.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var match = System.Text.RegularExpressions.Regex.Match(line, @"on (http://127\.0\.0\.1:\d+)");
            if (match.Success)
            {
                return match.Groups[1].Value;
            }
        }
        throw new InvalidOperationException($"scratchnet serve stopped before serving: {await server.StandardError.ReadToEndAsync()}");
    }

    private static async Task RunPageAsync(string url)
    {
        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumFactAttribute.Chromium,
            Headless = true,
            Args = ["--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        IPage page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1100, Height = 900 } });
        await page.GotoAsync(url);
        await page.WaitForFunctionAsync("() => document.getElementById('model-info').textContent.startsWith('model')");

        var one = Enumerable.Range(0, 21).Select(i => (140f + (i * 0.8f), 40f + (i * 10f))).ToList();
        Assert.Equal("1", await PredictionAfterDrawingAsync(page, one));

        var zero = Enumerable.Range(0, 41).Select(i => (140f + (55f * MathF.Sin(i * MathF.PI / 20)), 140f - (85f * MathF.Cos(i * MathF.PI / 20)))).ToList();
        Assert.Equal("0", await PredictionAfterDrawingAsync(page, zero));

        // SCRATCHNET_SCREENSHOT=path keeps a picture of the page (the README's comes from here).
        string shot = Environment.GetEnvironmentVariable("SCRATCHNET_SCREENSHOT") ?? Path.Combine(Path.GetTempPath(), "scratchnet-page.png");
        await page.ScreenshotAsync(new() { Path = shot, FullPage = true });
        Assert.Equal(10, await page.Locator("#units canvas").CountAsync()); // the hidden units' pictures
        Assert.True(new FileInfo(shot).Length > 1000);
    }
}
