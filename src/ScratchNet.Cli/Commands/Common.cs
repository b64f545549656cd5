// Options and helpers the commands share: where the data comes from, and how numbers look.
using System.CommandLine;
using System.Globalization;
using ScratchNet.Data;

namespace ScratchNet.Cli.Commands;

internal static class Common
{
    public static Option<string?> DataOption() => new("--data")
    {
        Description = "Folder with an IDX data set in MNIST's layout (train-images-idx3-ubyte[.gz], …), or a CSV file in the Kaggle layout (label,pixel0,…,pixel783). Default: the shipped MNIST in data/mnist, checksum-verified.",
        HelpName = "DIR|FILE.csv",
    };

    public static bool IsCsv(string? path) => path is not null && path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);

    /// <summary>The images to evaluate on: a labelled CSV file, or the test half of an IDX folder (default: the shipped MNIST).</summary>
    public static Dataset LoadTestSet(string? data) => IsCsv(data) ? CsvReader.ReadDataset(data!) : LoadData(data).Test;

    public static Option<string> ModelOption(bool required) => new("--model")
    {
        Description = "Model file (.safetensors) written by 'scratchnet train'.",
        HelpName = "PATH",
        Required = required,
    };

    /// <summary>The shipped MNIST (checksums verified) or the IDX set in <paramref name="dir"/>.</summary>
    public static TrainTest LoadData(string? dir)
    {
        if (dir is null)
        {
            return MnistData.LoadShipped();
        }
        string? shipped = MnistData.FindShippedDirectory();
        bool isShipped = shipped is not null && Path.GetFullPath(dir).TrimEnd('/') == Path.GetFullPath(shipped).TrimEnd('/');
        return MnistData.Load(dir, verifyPinned: isShipped);
    }

    public static string Percent(double fraction) => (100 * fraction).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    public static string Num(double value, string format = "0.####") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>A 28×28 (or any size) image drawn as text, two characters per pixel.</summary>
    public static IEnumerable<string> DrawImage(ReadOnlySpan<byte> pixels, int rows, int cols)
    {
        const string shades = " .:-=+*#%@";
        var lines = new List<string>(rows);
        for (int r = 0; r < rows; r++)
        {
            var chars = new char[2 * cols];
            for (int c = 0; c < cols; c++)
            {
                char ch = shades[pixels[(r * cols) + c] * (shades.Length - 1) / 255];
                chars[2 * c] = ch;
                chars[(2 * c) + 1] = ch;
            }
            lines.Add("|" + new string(chars) + "|");
        }
        return lines;
    }

    public static string Bar(double fraction, int width = 40) => new('#', (int)Math.Round(Math.Clamp(fraction, 0, 1) * width));
}
