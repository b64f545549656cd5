// Fetching data sets against a local HTTP server on 127.0.0.1 that serves good files and faulty
// ones — 403, 404, 500, a truncated body, wrong bytes, an HTML page with status 200, a stalled
// connection, a redirect loop. Each fault ends in a clear error naming the URL and the failure,
// with nothing left behind; a good mirror after a bad one succeeds; Debian's folder and the cache
// are used without the network.
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using ScratchNet.Fetch;
using ScratchNet.Tests.Data;

namespace ScratchNet.Tests.Robustness;

public sealed class FetchTests : IAsyncLifetime
{
    private static readonly byte[] Images = IdxReaderTests.Images(3, 4, 4);
    private static readonly byte[] Labels = IdxReaderTests.Labels(3);
    private WebApplication server = null!;
    private string baseUrl = "";
    private int requests;

    private static readonly PinnedFile[] Files =
    [
        new("tiny-images", Images.Length, Convert.ToHexStringLower(SHA256.HashData(Images))),
        new("tiny-labels", Labels.Length, Convert.ToHexStringLower(SHA256.HashData(Labels))),
    ];

    private static byte[] Gz(string file) => IdxReaderTests.Gzip(file.StartsWith("tiny-images", StringComparison.Ordinal) ? Images : Labels);

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        server = builder.Build();
        server.Use(async (context, next) =>
        {
            Interlocked.Increment(ref requests);
            await next(context);
        });
        server.MapGet("/good/{file}", (string file) => Results.Bytes(Gz(file), "application/gzip"));
        server.MapGet("/forbidden/{file}", () => Results.StatusCode(403));
        server.MapGet("/error/{file}", () => Results.StatusCode(500));
        server.MapGet("/wrong/{file}", () => Results.Bytes(IdxReaderTests.Gzip(IdxReaderTests.Labels(7)), "application/gzip"));
        server.MapGet("/html/{file}", () => Results.Content("<html><body>Please log in</body></html>", "text/html"));
        server.MapGet("/loop/{file}", (string file) => Results.Redirect($"/loop/{file}"));
        server.MapGet("/truncated/{file}", async (HttpContext context, string file) =>
        {
            byte[] bytes = Gz(file);
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
            await context.Response.Body.FlushAsync();
            context.Abort();
        });
        server.MapGet("/stall/{file}", async (HttpContext context, string file) =>
        {
            byte[] bytes = Gz(file);
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes.AsMemory(0, 10));
            await context.Response.Body.FlushAsync();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
        });
        await server.StartAsync();
        baseUrl = server.Urls.First();
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    private static DatasetSource Source(string? debian, params string[] mirrors) => new("tiny", debian, mirrors, Files);

    /// <summary>
    /// Fetches with a stall timeout of <paramref name="stallSeconds"/>: short only where a test waits for
    /// a stall (a short one elsewhere turns a slow answer on a loaded machine into a false "stalled").
    /// </summary>
    private static async Task<string> Fetch(DatasetSource source, string cache, double stallSeconds = 15)
    {
        using HttpClient client = DatasetFetcher.CreateClient();
        return await new DatasetFetcher(client, TimeSpan.FromSeconds(stallSeconds)).FetchAsync(source, cache);
    }

    [Theory]
    [InlineData("forbidden", "HTTP 403")]
    [InlineData("missing", "HTTP 404")]
    [InlineData("error", "HTTP 500")]
    [InlineData("truncated", "")]
    [InlineData("wrong", "bytes where 64 are pinned")]
    [InlineData("html", "text/html page instead of the file")]
    [InlineData("stall", "the transfer stalled")]
    [InlineData("loop", "too many redirects")]
    public async Task Every_fault_ends_in_a_clear_error_naming_the_url_and_leaves_nothing(string fault, string expected)
    {
        string cache = TestData.TempDir();
        string mirror = $"{baseUrl}/{fault}/";
        var ex = await Assert.ThrowsAsync<FetchException>(() => Fetch(Source(null, mirror), cache, fault == "stall" ? 1 : 15));
        Assert.Contains($"{mirror}tiny-images.gz: ", ex.Message);
        Assert.Contains(expected, ex.Message);
        Assert.False(Directory.Exists(Path.Combine(cache, "tiny")), "the folder made for the download was left behind");
    }

    [Fact]
    public async Task A_corrupt_debian_copy_is_not_used_and_the_error_says_so()
    {
        string debian = TestData.TempDir();
        foreach (PinnedFile file in Files)
        {
            File.WriteAllBytes(Path.Combine(debian, file.Name), new byte[3]);   // present, but not the pinned bytes
        }
        string cache = TestData.TempDir();
        var ex = await Assert.ThrowsAsync<FetchException>(() => Fetch(Source(debian, $"{baseUrl}/missing/"), cache));
        Assert.Contains($"The copy in {debian} was found but does not match the pinned sizes and SHA-256 sums", ex.Message);
    }

    [Fact]
    public async Task A_good_mirror_after_bad_ones_is_used_and_the_files_verify()
    {
        string cache = TestData.TempDir();
        string folder = await Fetch(Source(null, $"{baseUrl}/error/", $"{baseUrl}/wrong/", $"{baseUrl}/good/"), cache);
        Assert.Equal(Path.Combine(cache, "tiny"), folder);
        Assert.Equal(["tiny-images.gz", "tiny-labels.gz"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        Assert.Equal(3 * 4 * 4, ScratchNet.Data.IdxReader.Read(Path.Combine(folder, "tiny-images.gz"), 3, Files[0].Sha256).Data.Length);

        int before = requests;
        await Fetch(Source(null, $"{baseUrl}/good/"), cache); // verified files in the cache are not fetched again
        Assert.Equal(before, requests);
    }

    [Fact]
    public async Task The_debian_folder_is_used_when_it_holds_every_file()
    {
        string debian = TestData.TempDir();
        File.WriteAllBytes(Path.Combine(debian, "tiny-images.gz"), Gz("tiny-images"));
        File.WriteAllBytes(Path.Combine(debian, "tiny-labels"), Labels);
        int before = requests;
        string folder = await Fetch(Source(debian, "http://127.0.0.1:9/unreachable/"), TestData.TempDir());
        Assert.Equal(debian, folder);
        Assert.Equal(before, requests);
    }
}
