// Options and helpers the commands share: where the data comes from, and how numbers look.
using System.CommandLine;
using System.Globalization;
using ScratchNet.Engines;
using ScratchNet.Serialization;

namespace ScratchNet.Cli.Commands;

internal static class Common
{
    public static Option<string?> DataOption() => new("--data")
    {
        Description = "Folder with an IDX data set in MNIST's layout (train-images-idx3-ubyte[.gz], …), or a CSV file in the Kaggle layout (label,pixel0,…,pixel783). Default: the shipped MNIST in data/mnist, checksum-verified.",
        HelpName = "DIR|FILE.csv",
    };

    public static Option<string> ModelOption(bool required) => new("--model")
    {
        Description = required ? "Model file (.safetensors) written by 'scratchnet train'." : "Model file (.safetensors) written by 'scratchnet train'. Default: the best shipped pretrained model (scratchnet models lists them).",
        HelpName = "PATH",
        Required = required,
    };

    /// <summary>
    /// The model at <paramref name="path"/>, or without one the best shipped pretrained model (checksum-verified),
    /// saying which on <paramref name="console"/>.
    /// </summary>
    public static (string Path, Model Model) LoadModelOrShipped(string? path, TextWriter console)
    {
        if (path is not null)
        {
            return (path, ModelFile.Load(path));
        }
        PretrainedModel best = PretrainedModels.Best;
        string shipped = PretrainedModels.PathOf(best);
        Model model = PretrainedModels.Load(best, shipped);
        string relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), shipped);
        string shown = relative.StartsWith("..", StringComparison.Ordinal) ? shipped : relative;
        console.WriteLine($"no --model given: using the shipped model {best.Name} ({Percent(best.TestAccuracy)} test accuracy, {shown}); pass --model PATH to use your own");
        return (shipped, model);
    }

    /// <summary>--engine: which engine runs the network (the chooser's pick by default).</summary>
    public static Option<string> EngineOption(string what = "Which engine runs the network") => new("--engine")
    {
        Description = $"{what}: auto (the fastest that fits the network and this machine), layers (any network, layer by layer), fused or packed (the seed network's shape, full batch). The run says which ran and why.",
        DefaultValueFactory = _ => "auto",
        Validators = { result => { if (result.Tokens.Count > 0 && !EngineChooser.Names.Contains(result.Tokens[0].Value)) result.AddError($"--engine {result.Tokens[0].Value}: use one of {string.Join(", ", EngineChooser.Names)}."); } },
    };

    /// <summary>The engine asked for with <see cref="EngineOption"/>.</summary>
    public static EngineKind Engine(ParseResult parsed, Option<string> option) => EngineChooser.Parse(parsed.GetValue(option) ?? "auto");

    public static string Percent(double fraction) => (100 * fraction).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    /// <summary>A probability as a percentage that never rounds to a false 100.00 % or 0.00 %.</summary>
    public static string Probability(double p) =>
        p >= 0.99995 && p < 1 ? ">99.99%" : p > 0 && p < 0.00005 ? "<0.01%" : Percent(p);

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

    /// <summary>Throws when the model's input size is not the images' pixel count.</summary>
    public static void CheckInput(Model model, int features, string path)
    {
        if (model.Network.InputSize != features)
        {
            throw new ArgumentException($"{path}: the model takes {model.Network.InputSize} inputs but the images have {features} pixels.");
        }
    }

    /// <summary>
    /// Throws when the model was trained with --data and is now given the shipped MNIST (no --data): its classes
    /// would be scored against digits (a Fashion-MNIST model "scores" 6 %). The message says which --data to give.
    /// </summary>
    public static void CheckDataset(Model model, string? dataOption, string path)
    {
        string trainedOn = model.Metadata.GetValueOrDefault("data_option", "");
        if (dataOption is null && trainedOn.Length > 0)
        {
            throw new ArgumentException($"{path} was trained on {trainedOn}, not the shipped MNIST; give --data {trainedOn} (or the matching test set) to use it.");
        }
    }
}
