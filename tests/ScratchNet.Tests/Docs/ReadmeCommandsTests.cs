// The README's commands, run as written (so the README cannot drift from the tool): every
// `dotnet run --project src/ScratchNet.Cli -c Release -- …` line of its bash blocks runs in order, in
// process, in a temporary folder (models/ and out/ land there), with --dry-run added to training and
// the image files it names made first. Left out, with the reason printed: serve (it runs until stopped;
// the browser test drives it), data fetch (it needs the network) and data folders this machine lacks.
using System.Text.RegularExpressions;
using ScratchNet.Cli;
using ScratchNet.Reports;
using Xunit.Abstractions;

namespace ScratchNet.Tests.Docs;

public partial class ReadmeCommandsTests(ITestOutputHelper log)
{
    private const string Prefix = "dotnet run --project src/ScratchNet.Cli -c Release --";

    [GeneratedRegex(@"```bash\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();

    /// <summary>The tool's command lines in the README's bash blocks, continuations joined and comments dropped.</summary>
    internal static List<string[]> Commands(string readme)
    {
        var commands = new List<string[]>();
        foreach (Match block in BashBlock().Matches(readme))
        {
            string text = block.Groups[1].Value.Replace("\\\n", " ", StringComparison.Ordinal);
            foreach (string raw in text.Split('\n'))
            {
                string line = raw.Split('#')[0].Trim();
                if (line.StartsWith(Prefix, StringComparison.Ordinal))
                {
                    commands.Add(line[Prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
                }
            }
        }
        return commands;
    }

    [Fact]
    public void Every_command_in_the_README_runs_as_written()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "README.md")) || !Directory.Exists(Path.Combine(root, "src")))
        {
            root = Path.GetDirectoryName(root) ?? throw new DirectoryNotFoundException("README.md not found above the test folder.");
        }
        List<string[]> commands = Commands(File.ReadAllText(Path.Combine(root, "README.md")));
        Assert.True(commands.Count >= 8, $"only {commands.Count} commands found in the README");
        string tmp = TestData.TempDir();
        int ran = 0;
        for (int c = 0; c < commands.Count; c++)
        {
            string[] args = commands[c];
            string shown = string.Join(' ', args);
            if (args[0] is "serve" || args is ["data", "fetch", ..])
            {
                log.WriteLine($"left out: {shown} ({(args[0] == "serve" ? "runs until stopped; the browser test drives it" : "needs the network")})");
                continue;
            }
            if (args.SkipWhile(a => a != "--data").Skip(1).FirstOrDefault() is { } data && Path.IsPathRooted(data) && !Directory.Exists(data))
            {
                log.WriteLine($"left out: {shown} ({data} is not on this machine)");
                continue;
            }
            // Relative paths (models/…, out/…, image files) land in the temporary folder.
            var rewritten = args.Select(a => a.StartsWith("models/", StringComparison.Ordinal) || a.StartsWith("out/", StringComparison.Ordinal) || a.EndsWith(".png", StringComparison.Ordinal) || a.EndsWith(".jpg", StringComparison.Ordinal)
                ? Path.Combine(tmp, a) : a).ToList();
            if (args[0] == "train")
            {
                rewritten.Add("--dry-run");
                if (!args.Contains("--out"))
                {
                    rewritten.AddRange(["--out", Path.Combine(tmp, "models", $"readme-{c}.safetensors")]);
                }
            }
            foreach (string image in rewritten.Where(a => a.StartsWith(tmp, StringComparison.Ordinal) && (a.EndsWith(".png", StringComparison.Ordinal) || a.EndsWith(".jpg", StringComparison.Ordinal))))
            {
                MakeDigitImage(image);
            }
            var output = new StringWriter();
            var error = new StringWriter();
            int code = CliApp.Run([.. rewritten], output, error);
            Assert.True(code == 0, $"README command '{shown}' exited {code}: {error}");
            log.WriteLine($"ran: {shown}");
            ran++;
        }
        Assert.True(ran >= 6, $"only {ran} README commands ran");
    }

    /// <summary>A "1" as a PNG (a .jpg name gets the same bytes: the decoder goes by content, the name is the README's).</summary>
    private static void MakeDigitImage(string path)
    {
        if (File.Exists(path))
        {
            return;
        }
        var image = new RgbImage(60, 60);
        image.Fill((255, 255, 255));
        for (int y = 10; y < 50; y++)
        {
            for (int x = 27; x < 33; x++)
            {
                image.Set(x, y, (0, 0, 0));
            }
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, image.ToPng());
    }
}
