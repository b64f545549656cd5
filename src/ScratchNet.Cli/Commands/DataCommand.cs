// `scratchnet data fetch NAME`: a data set that is not shipped, from its Debian package or its
// mirrors, verified and written atomically into a cache folder; prints the folder for --data.
using System.CommandLine;
using ScratchNet.Fetch;
using Spectre.Console;

namespace ScratchNet.Cli.Commands;

internal static class DataCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = $"The data set: {string.Join(", ", KnownDatasets.Names)}." };
        name.AcceptOnlyFromAmong([.. KnownDatasets.Names]);
        var dataDir = new Option<string?>("--data-dir") { Description = "Cache folder for fetched data sets. Default: $XDG_CACHE_HOME/scratchnet or ~/.cache/scratchnet.", HelpName = "DIR" };
        var timeout = new Option<int>("--stall-timeout") { Description = "Seconds without data before a download counts as stalled and the next mirror is tried.", DefaultValueFactory = _ => 30 };
        var fetch = new Command("fetch", "Fetch a data set (Debian package first, then its mirrors), verify every file, and print its folder.") { name, dataDir, timeout };
        fetch.SetAction(parsed => CliApp.Guard(parsed, console =>
        {
            int seconds = parsed.GetValue(timeout);
            if (seconds is < 1 or > 3600)
            {
                throw new ArgumentException($"--stall-timeout {seconds}: use 1..3600 seconds.");
            }
            if (parsed.GetValue(name) == "mnist" && ScratchNet.Data.MnistData.FindShippedDirectory() is { } shipped)
            {
                // MNIST ships with ScratchNet: nothing to download.
                console.WriteLine($"MNIST ships with ScratchNet in {shipped} (checksums verified on every load); nothing to fetch. Train on it with 'scratchnet train'.");
                return ExitCodes.Ok;
            }
            DatasetSource source = KnownDatasets.Get(parsed.GetValue(name)!);
            string root = parsed.GetValue(dataDir) ?? KnownDatasets.DefaultCacheFolder();
            using HttpClient client = DatasetFetcher.CreateClient();
            var fetcher = new DatasetFetcher(client, TimeSpan.FromSeconds(seconds));
            try
            {
                string folder;
                if (Progress.IsInteractive(console, plain: false))
                {
                    // A progress bar per file, with its size, speed and time left.
                    folder = Spectre.Console.AnsiConsole.Progress().AutoClear(false).Columns(
                        new Spectre.Console.TaskDescriptionColumn(), new Spectre.Console.ProgressBarColumn(), new Spectre.Console.PercentageColumn(),
                        new Spectre.Console.DownloadedColumn(), new Spectre.Console.TransferSpeedColumn(), new Spectre.Console.RemainingTimeColumn())
                        .Start(context =>
                        {
                            var tasks = new Dictionary<string, Spectre.Console.ProgressTask>();
                            var bars = new SynchronousProgress(p =>
                            {
                                if (!tasks.TryGetValue(p.File, out var task))
                                {
                                    task = tasks[p.File] = context.AddTask(p.File + ".gz", maxValue: p.Total ?? 1);
                                }
                                task.Value = p.Total is null ? 0 : p.Received;
                            });
                            return fetcher.FetchAsync(source, root, bars, CliApp.Cancellation).GetAwaiter().GetResult();
                        });
                }
                else
                {
                    int lastQuarter = -1;
                    string lastFile = "";
                    var lines = new SynchronousProgress(p =>
                    {
                        int quarter = p.Total is > 0 ? (int)(4 * p.Received / p.Total.Value) : -1;
                        if (p.File != lastFile || quarter != lastQuarter)
                        {
                            console.WriteLine($"  {p.File}.gz: {p.Received:N0}{(p.Total is { } t ? $" of {t:N0}" : "")} bytes");
                            (lastFile, lastQuarter) = (p.File, quarter);
                        }
                    });
                    folder = fetcher.FetchAsync(source, root, lines, CliApp.Cancellation).GetAwaiter().GetResult();
                }
                console.WriteLine($"{source.Name} is ready in {folder}");
                console.WriteLine($"train on it with: scratchnet train --data {folder}");
                return ExitCodes.Ok;
            }
            catch (FetchException e)
            {
                parsed.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
                return ExitCodes.BadInput;
            }
        }));
        return new Command("data", "Data sets that are not shipped.") { fetch };
    }

    /// <summary>Reports on the caller's thread, in order (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<FetchProgress> report) : IProgress<FetchProgress>
    {
        public void Report(FetchProgress value) => report(value);
    }
}
