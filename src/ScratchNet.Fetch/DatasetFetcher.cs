// Fetches a data set that is not shipped: from the Debian package's folder when it is installed,
// otherwise from the data set's mirrors, one after the other. Every file is checked against its
// pinned size and SHA-256 (of the decompressed bytes, so a recompressed copy is as good), written to
// a temporary file in the cache folder, and renamed into place only when it is right: no partial
// file is ever left under the final name. Leaves out: resuming a half-done download.
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using ScratchNet.Data;

namespace ScratchNet.Fetch;

/// <summary>One file of a data set: its name (without .gz) and the size and SHA-256 of its decompressed bytes.</summary>
public sealed record PinnedFile(string Name, long Size, string Sha256);

/// <summary>A data set that can be fetched: where Debian installs it, its mirrors (base URLs ending in '/'), and its files.</summary>
public sealed record DatasetSource(string Name, string? DebianFolder, IReadOnlyList<string> Mirrors, IReadOnlyList<PinnedFile> Files);

/// <summary>Bytes of one file received so far (Total is null when the server does not say).</summary>
public sealed record FetchProgress(string File, long Received, long? Total);

/// <summary>Every place a data set could come from failed; the message lists each URL and why.</summary>
public sealed class FetchException(string message) : IOException(message);

public static class KnownDatasets
{
    public static IReadOnlyList<string> Names { get; } = ["mnist", "fashion-mnist"];

    public static DatasetSource Get(string name) => name switch
    {
        "mnist" => new DatasetSource("mnist", null,
            ["https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"],
            [.. new[] { (MnistData.TrainImages, 47_040_016L), (MnistData.TrainLabels, 60_008L), (MnistData.TestImages, 7_840_016L), (MnistData.TestLabels, 10_008L) }
                .Select(f => new PinnedFile(f.Item1, f.Item2, MnistData.PinnedSha256[f.Item1]))]),
        "fashion-mnist" => new DatasetSource("fashion-mnist", "/usr/share/datasets/fashion-mnist",
            ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"],
            [
                new PinnedFile(MnistData.TrainImages, 47_040_016, "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
                new PinnedFile(MnistData.TrainLabels, 60_008, "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
                new PinnedFile(MnistData.TestImages, 7_840_016, "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
                new PinnedFile(MnistData.TestLabels, 10_008, "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
            ]),
        _ => throw new ArgumentException($"Unknown data set '{name}'. Known: {string.Join(", ", Names)}."),
    };

    /// <summary>The default cache folder: $XDG_CACHE_HOME/scratchnet, else ~/.cache/scratchnet.</summary>
    public static string DefaultCacheFolder()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "scratchnet");
    }
}

public sealed class DatasetFetcher(HttpClient client, TimeSpan stallTimeout)
{
    /// <summary>An HTTP client that follows at most 5 redirects.</summary>
    public static HttpClient CreateClient() => new(new SocketsHttpHandler { AllowAutoRedirect = true, MaxAutomaticRedirections = 5 }) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>
    /// Returns a folder holding every file of <paramref name="source"/>, verified: the Debian folder
    /// when it has them all, else <paramref name="cacheRoot"/>/NAME, downloading what is missing.
    /// </summary>
    /// <exception cref="FetchException">A file could be had from none of the mirrors; the message says why for each.</exception>
    public async Task<string> FetchAsync(DatasetSource source, string cacheRoot, IProgress<FetchProgress>? progress = null, CancellationToken cancel = default)
    {
        // The Debian copy, when it is there and every file verifies; a copy that is there but does not verify is said so.
        string? debianNote = null;
        if (source.DebianFolder is { } debian && Directory.Exists(debian))
        {
            if (source.Files.All(f => Verified(Path.Combine(debian, f.Name + ".gz"), f) || Verified(Path.Combine(debian, f.Name), f)))
            {
                return debian;
            }
            debianNote = $"{Environment.NewLine}The copy in {debian} was found but does not match the pinned sizes and SHA-256 sums (corrupt or another version); it was not used.";
        }
        string folder = Path.Combine(cacheRoot, source.Name);
        bool created = !Directory.Exists(folder);
        Directory.CreateDirectory(folder);
        foreach (PinnedFile file in source.Files)
        {
            string final = Path.Combine(folder, file.Name + ".gz");
            if (Verified(final, file))
            {
                continue;
            }
            var failures = new List<string>();
            bool done = false;
            foreach (string mirror in source.Mirrors)
            {
                string url = mirror + file.Name + ".gz";
                string temp = Path.Combine(folder, $".{file.Name}.gz.{Guid.NewGuid():N}.part");
                try
                {
                    await DownloadAsync(url, temp, file.Name, progress, cancel);
                    string? problem = Check(temp, file);
                    if (problem is not null)
                    {
                        failures.Add($"{url}: {problem}");
                        continue;
                    }
                    File.Move(temp, final, overwrite: true);
                    done = true;
                    break;
                }
                catch (Exception e) when (e is HttpRequestException or IOException or TimeoutException or OperationCanceledException && !cancel.IsCancellationRequested)
                {
                    failures.Add($"{url}: {Describe(e)}");
                }
                finally
                {
                    File.Delete(temp);
                }
            }
            if (!done)
            {
                if (created && !Directory.EnumerateFileSystemEntries(folder).Any())
                {
                    Directory.Delete(folder);   // leave nothing behind: not even the empty folder this call made
                }
                throw new FetchException($"Could not fetch {file.Name}.gz of {source.Name}:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", failures)
                    + $"{Environment.NewLine}Check the network, or install the data another way and pass --data DIR.{debianNote}");
            }
        }
        return folder;
    }

    private async Task DownloadAsync(string url, string temp, string name, IProgress<FetchProgress>? progress, CancellationToken cancel)
    {
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        stall.CancelAfter(stallTimeout);
        using HttpResponseMessage response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, stall.Token);
        if ((int)response.StatusCode is >= 300 and < 400)
        {
            throw new HttpRequestException($"HTTP {(int)response.StatusCode}: too many redirects (a redirect loop?)");
        }
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        if (response.Content.Headers.ContentType?.MediaType is { } type && type.StartsWith("text/", StringComparison.OrdinalIgnoreCase))
        {
            throw new HttpRequestException($"the server sent a {type} page instead of the file");
        }
        long? total = response.Content.Headers.ContentLength;
        await using Stream body = await response.Content.ReadAsStreamAsync(stall.Token);
        await using var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        var buffer = new byte[81920];
        long received = 0;
        while (true)
        {
            stall.CancelAfter(stallTimeout); // the timer restarts with every chunk: only a stalled transfer trips it
            int read = await body.ReadAsync(buffer, stall.Token);
            if (read == 0)
            {
                break;
            }
            await output.WriteAsync(buffer.AsMemory(0, read), cancel);
            received += read;
            progress?.Report(new FetchProgress(name, received, total));
        }
        if (total is { } expected && received != expected)
        {
            throw new IOException($"the transfer ended after {received:N0} of {expected:N0} bytes");
        }
        await output.FlushAsync(cancel);
        output.Flush(flushToDisk: true);
    }

    private string Describe(Exception e) => e switch
    {
        OperationCanceledException => $"no data for {stallTimeout.TotalSeconds:0.#} s: the transfer stalled",
        _ => e.Message,
    };

    /// <summary>Null when the gzip file holds exactly the pinned bytes; else what is wrong.</summary>
    private static string? Check(string path, PinnedFile file)
    {
        try
        {
            using var stream = File.OpenRead(path);
            Span<byte> magic = stackalloc byte[2];
            if (stream.Read(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b)
            {
                return "the download is not gzip data";
            }
            stream.Position = 0;
            using var gzip = new GZipStream(stream, CompressionMode.Decompress);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[81920];
            long size = 0;
            int read;
            while ((read = gzip.Read(buffer)) > 0)
            {
                size += read;
                if (size > file.Size)
                {
                    return $"larger than the pinned {file.Size:N0} bytes";
                }
                sha.AppendData(buffer, 0, read);
            }
            string actual = Convert.ToHexStringLower(sha.GetHashAndReset());
            return size != file.Size ? $"{size:N0} bytes where {file.Size:N0} are pinned"
                : actual != file.Sha256 ? $"checksum mismatch: expected SHA-256 {file.Sha256}, found {actual}"
                : null;
        }
        catch (InvalidDataException e)
        {
            return $"corrupt gzip data ({e.Message})";
        }
    }

    private static bool Verified(string path, PinnedFile file)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        if (path.EndsWith(".gz", StringComparison.Ordinal))
        {
            return Check(path, file) is null;
        }
        using var stream = File.OpenRead(path);
        return stream.Length == file.Size && Convert.ToHexStringLower(SHA256.HashData(stream)) == file.Sha256;
    }
}
