// `scratchnet train`: trains a preset (default: the notes' seed recipe), printing the settings,
// a line every logging interval, and the test accuracy; saves the model atomically.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ScratchNet.Data;
using ScratchNet.Serialization;
using ScratchNet.Training;

namespace ScratchNet.Cli.Commands;

internal static class TrainCommand
{
    public static Command Create()
    {
        TrainingOptions seed = Presets.Get("seed");
        var preset = new Option<string>("--preset") { Description = $"Recipe to start from: {string.Join(", ", Presets.Names)}. Options below override it.", DefaultValueFactory = _ => "seed" };
        preset.AcceptOnlyFromAmong([.. Presets.Names]);
        var alpha = new Option<float>("--alpha", "--lr") { Description = "Learning rate α.", DefaultValueFactory = _ => seed.Alpha };
        var iterations = new Option<int>("--iterations") { Description = "Full-batch gradient-descent iterations.", DefaultValueFactory = _ => seed.Iterations };
        var hidden = new Option<int>("--hidden") { Description = "Width of the hidden layer (network 784-H-10).", DefaultValueFactory = _ => seed.Layers[1] };
        var activation = new Option<string>("--activation") { Description = "Hidden-layer activation g.", DefaultValueFactory = _ => seed.Activation };
        activation.AcceptOnlyFromAmong([.. ScratchNet.Layers.Activation.Names]);
        var devSize = new Option<int>("--dev-size") { Description = "Training images held out as the dev set.", DefaultValueFactory = _ => seed.DevSize };
        var seedOption = new Option<ulong?>("--seed") { Description = $"Random seed: split, initial weights, shuffles; same seed, same bits. Default: the preset's ({string.Join(", ", Presets.Names.Select(n => $"{n}: {Presets.Get(n).Seed}"))})." };
        var threads = new Option<int>("--threads") { Description = "Threads to compute with (results do not depend on it).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var data = Common.DataOption();
        var output = new Option<string>("--out", "--save-model") { Description = "Where to save the trained model.", HelpName = "PATH", DefaultValueFactory = _ => "models/seed.safetensors" };
        var metrics = new Option<string?>("--metrics-json") { Description = "Also write the run's record (settings, history, accuracies, seconds) as JSON.", HelpName = "PATH" };
        var dryRun = new Option<bool>("--dry-run") { Description = "A quick check: a few iterations on 2,000 training images, 1,000 test images." };
        var explain = new Option<bool>("--explain") { Description = "Before training, print the notes' equations with this run's shapes and values." };

        var command = new Command("train", "Train a network on MNIST (or --data) and report its test accuracy.")
        {
            preset, alpha, iterations, hidden, activation, devSize, seedOption, threads, data, output, metrics, dryRun, explain,
        };
        command.SetAction(parsed => CliApp.Guard(parsed, console =>
        {
            TrainingOptions options = Presets.Get(parsed.GetValue(preset)!);
            options = options with { Preset = parsed.GetValue(preset)! };
            if (Given(parsed, alpha)) options = options with { Alpha = parsed.GetValue(alpha) };
            if (Given(parsed, iterations)) options = options with { Iterations = parsed.GetValue(iterations) };
            if (Given(parsed, hidden))
            {
                int h = parsed.GetValue(hidden);
                if (h < 1 || h > 65536)
                {
                    throw new ArgumentException($"--hidden {h}: the hidden layer needs 1..65536 units.");
                }
                options = options with { Layers = [options.Layers[0], h, options.Layers[^1]] };
            }
            if (Given(parsed, activation)) options = options with { Activation = parsed.GetValue(activation)! };
            if (Given(parsed, devSize)) options = options with { DevSize = parsed.GetValue(devSize) };
            options = options with { Seed = parsed.GetValue(seedOption) ?? options.Seed, Threads = parsed.GetValue(threads) };
            bool dry = parsed.GetValue(dryRun);
            if (dry)
            {
                options = options with { TrainLimit = 2000, DevSize = Math.Min(options.DevSize, 500), Iterations = Math.Min(options.Iterations, 20), Epochs = Math.Min(options.Epochs, 1), LogEvery = Math.Min(options.LogEvery, 5) };
            }
            options.Validate();
            string outPath = parsed.GetValue(output)!;
            string? metricsPath = parsed.GetValue(metrics);

            TrainTest sets = Common.LoadData(parsed.GetValue(data));
            Dataset test = dry ? sets.Test.Take(1000) : sets.Test;
            console.WriteLine($"ScratchNet train · seed {options.Seed} · preset {options.Preset}{(dry ? " (dry run)" : "")}");
            console.WriteLine($"  network {string.Join('-', options.Layers)}, {options.Activation}, softmax · init {options.Init} · α = {Common.Num(options.Alpha)}");
            console.WriteLine(options.BatchSize == 0
                ? $"  full batch · {options.Iterations} iterations · dev {options.DevSize:N0} images held out · threads {options.Threads}"
                : $"  batch {options.BatchSize} · {options.Epochs} epochs · dev {options.DevSize:N0} images held out · threads {options.Threads}");
            console.WriteLine($"  data {sets.Train.Source} ({sets.Train.Count:N0} training, {test.Count:N0} test images)");

            var trainer = new Trainer(options)
            {
                OnLog = p => console.WriteLine(options.BatchSize == 0
                    ? $"iter {p.Iteration,5}  loss {Common.Num(p.Loss, "0.0000")}  train {Common.Percent(p.TrainAccuracy),7}  dev {(p.DevAccuracy is { } d ? Common.Percent(d) : "-"),7}  {Common.Num(p.Seconds, "0.0")}s"
                    : $"epoch {p.Epoch,3}  loss {Common.Num(p.Loss, "0.0000")}  train {Common.Percent(p.TrainAccuracy),7}  dev {(p.DevAccuracy is { } d2 ? Common.Percent(d2) : "-"),7}  lr {Common.Num(p.LearningRate, "0.######")}  {Common.Num(p.Seconds, "0.0")}s"),
            };
            if (parsed.GetValue(explain))
            {
                trainer.OnExplain = lines =>
                {
                    foreach (string line in lines)
                    {
                        console.WriteLine(line);
                    }
                    console.WriteLine();
                };
            }
            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true;
                cancel.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            TrainingResult result;
            try
            {
                result = trainer.Train(sets.Train, test, cancel.Token);
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
            if (result.Cancelled)
            {
                console.WriteLine($"Stopped by Ctrl-C; nothing was saved. {(File.Exists(outPath) ? $"The previous model at {outPath} is untouched." : "")}");
                return ExitCodes.Cancelled;
            }
            TrainingRecord record = result.Record;
            console.WriteLine($"final: train {Common.Percent(record.TrainAccuracy)} · dev {(record.DevAccuracy is { } dev ? Common.Percent(dev) : "-")}");
            console.WriteLine($"test accuracy {Common.Percent(record.TestAccuracy ?? 0)} on {test.Count:N0} test images (loss {Common.Num(record.TestLoss ?? 0, "0.0000")})");
            console.WriteLine($"wall time {Common.Num(record.Seconds, "0.0")} s (training {Common.Num(record.TrainSeconds, "0.0")} s)");
            ModelFile.Save(outPath, result.Network, Metadata(record));
            console.WriteLine($"model saved to {outPath}");
            if (metricsPath is not null)
            {
                AtomicFile.WriteText(metricsPath, record.ToJson());
                console.WriteLine($"metrics written to {metricsPath}");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static bool Given<T>(ParseResult parsed, Option<T> option) => parsed.GetResult(option) is { Implicit: false };

    private static Dictionary<string, string> Metadata(TrainingRecord record) => new()
    {
        ["preset"] = record.Settings.Preset,
        ["seed"] = record.Settings.Seed.ToString(CultureInfo.InvariantCulture),
        ["settings"] = JsonSerializer.Serialize(record.Settings, TrainingRecord.JsonOptions),
        ["train_accuracy"] = record.TrainAccuracy.ToString("R", CultureInfo.InvariantCulture),
        ["dev_accuracy"] = record.DevAccuracy?.ToString("R", CultureInfo.InvariantCulture) ?? "",
        ["test_accuracy"] = record.TestAccuracy?.ToString("R", CultureInfo.InvariantCulture) ?? "",
        ["train_seconds"] = record.TrainSeconds.ToString("0.###", CultureInfo.InvariantCulture),
        ["data"] = record.Data,
    };
}
