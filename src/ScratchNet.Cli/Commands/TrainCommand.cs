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
        const string presetNote = " Presets set their own; the default shown is the seed preset's.";
        var preset = new Option<string>("--preset") { Description = $"Recipe to start from: {string.Join(", ", Presets.Names)}. The options below override it.", DefaultValueFactory = _ => "seed" };
        preset.AcceptOnlyFromAmong([.. Presets.Names]);
        var layers = new Option<string>("--layers") { Description = "Layer sizes, input first, e.g. 784,256,128,10." + presetNote, HelpName = "SIZES", DefaultValueFactory = _ => string.Join(',', seed.Layers) };
        var hidden = new Option<int>("--hidden") { Description = "Width of the hidden layer: network 784-H-10 (the seed recipe with another width).", DefaultValueFactory = _ => seed.Layers[1] };
        var activation = new Option<string>("--activation") { Description = "Hidden-layer activation g.", DefaultValueFactory = _ => seed.Activation };
        activation.AcceptOnlyFromAmong([.. ScratchNet.Layers.Activation.Names]);
        var init = new Option<string>("--init") { Description = "Initial weights: seed-uniform (U[−0.5, 0.5]), xavier, he, or auto (he for relu, xavier for tanh/sigmoid; the default with --layers)." + presetNote, DefaultValueFactory = _ => "seed-uniform" };
        init.AcceptOnlyFromAmong([.. ScratchNet.Layers.Initializers.Names, "auto"]);
        var loss = new Option<string>("--loss") { Description = "cross_entropy (softmax output) or mse (sigmoid outputs, quadratic cost).", DefaultValueFactory = _ => seed.Loss };
        loss.AcceptOnlyFromAmong([.. ScratchNet.Losses.LossFunctions.Names]);
        var optimizer = new Option<string>("--optimizer") { Description = "sgd, momentum, nesterov, adam or adamw. Without --lr it uses its own default rate (sgd 0.1, momentum 0.01, adam 0.001)." + presetNote, DefaultValueFactory = _ => seed.Optimizer };
        optimizer.AcceptOnlyFromAmong([.. ScratchNet.Optimizers.Optimizers.Names]);
        var alpha = new Option<float>("--alpha", "--lr") { Description = "Learning rate α." + presetNote, DefaultValueFactory = _ => seed.Alpha };
        var momentum = new Option<float>("--momentum") { Description = "μ for momentum and nesterov.", DefaultValueFactory = _ => seed.Momentum };
        var weightDecay = new Option<float>("--weight-decay") { Description = "λ, L2 weight decay (decoupled for adamw, whose 0 means 0.01).", DefaultValueFactory = _ => seed.WeightDecay };
        var schedule = new Option<string>("--schedule") { Description = "Learning-rate schedule: constant, step (×γ every --step-size epochs) or cosine." + presetNote, DefaultValueFactory = _ => seed.Schedule };
        schedule.AcceptOnlyFromAmong([.. ScratchNet.Optimizers.Schedules.Names]);
        var stepSize = new Option<int>("--step-size") { Description = "Epochs between decays of the step schedule.", DefaultValueFactory = _ => seed.StepSize };
        var gamma = new Option<float>("--gamma") { Description = "Decay factor γ of the step schedule.", DefaultValueFactory = _ => seed.Gamma };
        var batchSize = new Option<int>("--batch-size") { Description = "Examples per step; 0 = full batch (then --iterations counts the steps)." + presetNote, DefaultValueFactory = _ => seed.BatchSize };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training set with mini-batches." + presetNote, DefaultValueFactory = _ => seed.Epochs };
        var iterations = new Option<int>("--iterations") { Description = "Full-batch gradient-descent iterations.", DefaultValueFactory = _ => seed.Iterations };
        var dropout = new Option<float>("--dropout") { Description = "Dropout rate after each hidden activation (0 = none)." + presetNote, DefaultValueFactory = _ => seed.Dropout };
        var patience = new Option<int>("--patience") { Description = "Early stopping: stop when dev accuracy has not improved for this many epochs, keeping the best model (0 = off).", DefaultValueFactory = _ => seed.Patience };
        var devSize = new Option<int>("--dev-size") { Description = "Training images held out as the dev (validation) set.", DefaultValueFactory = _ => seed.DevSize };
        var seedOption = new Option<ulong?>("--seed") { Description = $"Random seed: split, initial weights, shuffles, dropout; same seed, same bits. Default: the preset's ({string.Join(", ", Presets.Names.Select(n => $"{n}: {Presets.Get(n).Seed}"))})." };
        var threads = new Option<int>("--threads") { Description = "Threads to compute with (results do not depend on it).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var logInterval = new Option<int>("--log-interval") { Description = "Full-batch iterations between progress lines.", DefaultValueFactory = _ => seed.LogEvery };
        var data = Common.DataOption();
        var testData = new Option<string?>("--test-data") { Description = "With --data FILE.csv: a labelled CSV (or IDX folder) to report test accuracy on.", HelpName = "FILE.csv|DIR" };
        var output = new Option<string?>("--out", "--save-model") { Description = "Where to save the trained model. Default: models/PRESET.safetensors.", HelpName = "PATH" };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Save a checkpoint every N epochs (full batch: every N iterations); 0 = never.", DefaultValueFactory = _ => 0 };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Where checkpoints go. Default: beside --out, as NAME.checkpoint.safetensors.", HelpName = "PATH" };
        var resume = new Option<string?>("--resume") { Description = "Go on from a checkpoint with its settings, optimiser state, random state and history (same --data).", HelpName = "CHECKPOINT" };
        var initFrom = new Option<string?>("--init-from") { Description = "Start from this saved model's weights (same architecture).", HelpName = "MODEL" };
        var metrics = new Option<string?>("--metrics-json") { Description = "Also write the run's record (settings, history, accuracies, seconds) as JSON.", HelpName = "PATH" };
        var dryRun = new Option<bool>("--dry-run") { Description = "A quick check: a few iterations (or one epoch) on 2,000 training images, 1,000 test images." };
        var explain = new Option<bool>("--explain") { Description = "Before training, print the notes' equations with this run's shapes and values." };
        var report = new Option<string?>("--report") { Description = "After training, write the HTML report (curves, confusion matrix, mistakes, hidden units) into this folder.", HelpName = "DIR" };
        var plain = new Option<bool>("--plain") { Description = "Plain progress lines instead of live progress bars (also when output is redirected or NO_COLOR is set)." };

        var command = new Command("train", "Train a network on MNIST (or --data) and report its test accuracy.")
        {
            preset, layers, hidden, activation, init, loss, optimizer, alpha, momentum, weightDecay, schedule, stepSize, gamma,
            batchSize, epochs, iterations, dropout, patience, devSize, seedOption, threads, logInterval, data, testData, output, checkpointEvery, checkpoint, resume, initFrom, metrics, dryRun, explain, report, plain,
        };
        command.SetAction(parsed => CliApp.Guard(parsed, console =>
        {
            string presetName = parsed.GetValue(preset)!;
            TrainingOptions options = Presets.Get(presetName) with { Preset = presetName };
            if (Given(parsed, layers))
            {
                options = options with { Layers = ParseLayers(parsed.GetValue(layers)!), Init = null };
            }
            if (Given(parsed, hidden))
            {
                int h = parsed.GetValue(hidden);
                if (h < 1 || h > 65536)
                {
                    throw new ArgumentException($"--hidden {h}: the hidden layer needs 1..65536 units.");
                }
                if (options.Layers.Length != 3)
                {
                    throw new ArgumentException($"--hidden sets the width of a network with one hidden layer; the {presetName} preset has {options.Layers.Length - 2}. Use --layers.");
                }
                options = options with { Layers = [options.Layers[0], h, options.Layers[^1]] };
            }
            if (Given(parsed, activation)) options = options with { Activation = parsed.GetValue(activation)! };
            if (Given(parsed, init))
            {
                string name = parsed.GetValue(init)!;
                options = options with { Init = name == "auto" ? null : ScratchNet.Layers.Initializers.Parse(name) };
            }
            if (Given(parsed, loss)) options = options with { Loss = parsed.GetValue(loss)! };
            if (Given(parsed, optimizer))
            {
                string name = parsed.GetValue(optimizer)!;
                if (name != options.Optimizer)
                {
                    options = options with { Optimizer = name, Alpha = ScratchNet.Optimizers.Optimizers.DefaultLearningRate(name) };
                }
            }
            if (Given(parsed, alpha)) options = options with { Alpha = parsed.GetValue(alpha) };
            if (Given(parsed, momentum)) options = options with { Momentum = parsed.GetValue(momentum) };
            if (Given(parsed, weightDecay)) options = options with { WeightDecay = parsed.GetValue(weightDecay) };
            if (Given(parsed, schedule)) options = options with { Schedule = parsed.GetValue(schedule)! };
            if (Given(parsed, stepSize)) options = options with { StepSize = parsed.GetValue(stepSize) };
            if (Given(parsed, gamma)) options = options with { Gamma = parsed.GetValue(gamma) };
            if (Given(parsed, batchSize)) options = options with { BatchSize = parsed.GetValue(batchSize) };
            if (Given(parsed, epochs)) options = options with { Epochs = parsed.GetValue(epochs) };
            if (Given(parsed, iterations)) options = options with { Iterations = parsed.GetValue(iterations) };
            if (Given(parsed, dropout)) options = options with { Dropout = parsed.GetValue(dropout) };
            if (Given(parsed, patience)) options = options with { Patience = parsed.GetValue(patience) };
            if (Given(parsed, devSize)) options = options with { DevSize = parsed.GetValue(devSize) };
            if (Given(parsed, logInterval)) options = options with { LogEvery = parsed.GetValue(logInterval) };
            options = options with { Seed = parsed.GetValue(seedOption) ?? options.Seed, Threads = parsed.GetValue(threads) };
            bool dry = parsed.GetValue(dryRun);
            if (dry)
            {
                options = options with { TrainLimit = 2000, DevSize = Math.Min(options.DevSize, 500), Iterations = Math.Min(options.Iterations, 20), Epochs = Math.Min(options.Epochs, 1), LogEvery = Math.Min(options.LogEvery, 5) };
            }
            (ScratchNet.Layers.Network Network, TrainerState State)? resumed = null;
            if (parsed.GetValue(resume) is { } resumePath)
            {
                var (savedNetwork, savedOptions, savedState) = Checkpoint.Load(resumePath);
                options = savedOptions with { Threads = parsed.GetValue(threads) };
                resumed = (savedNetwork, savedState);
                console.WriteLine($"Resuming {resumePath}: {savedState.Completed} {(options.BatchSize == 0 ? "iterations" : "epochs")} done.");
            }
            int every = parsed.GetValue(checkpointEvery);
            if (every < 0)
            {
                throw new ArgumentException($"--checkpoint-every {every}: must be 0 (never) or more.");
            }
            ScratchNet.Layers.Network? initial = null;
            if (parsed.GetValue(initFrom) is { } initPath)
            {
                initial = ScratchNet.Serialization.ModelFile.Load(initPath).Network;
                if (!Given(parsed, layers) && !Given(parsed, hidden))
                {
                    options = options with { Layers = [initial.InputSize, .. initial.DenseLayers.Select(d => d.Outputs)] };
                }
            }
            options.Validate();
            string outPath = parsed.GetValue(output) ?? Path.Combine("models", $"{options.Preset}.safetensors");
            string? metricsPath = parsed.GetValue(metrics);

            string? dataPath = parsed.GetValue(data);
            Dataset train, test0;
            if (Common.IsCsv(dataPath))
            {
                train = CsvReader.ReadDataset(dataPath!);
                string? testPath = parsed.GetValue(testData);
                test0 = testPath is null ? train.Take(0) : Common.LoadTestSet(testPath);
            }
            else
            {
                TrainTest loaded = Common.LoadData(dataPath);
                (train, test0) = (loaded.Train, parsed.GetValue(testData) is { } testPath ? Common.LoadTestSet(testPath) : loaded.Test);
            }
            var sets = new TrainTest(train, test0);
            Dataset test = dry ? sets.Test.Take(1000) : sets.Test;
            console.WriteLine($"ScratchNet train · seed {options.Seed} · preset {options.Preset}{(dry ? " (dry run)" : "")}");
            console.WriteLine($"  network {string.Join('-', options.Layers)}, {options.Activation}, {(options.Loss == "mse" ? "sigmoid + mse" : "softmax")}{(options.Dropout > 0 ? $", dropout {Common.Num(options.Dropout)}" : "")} · init {options.EffectiveInit}");
            console.WriteLine($"  optimizer {options.Optimizer} · α = {Common.Num(options.Alpha, "0.######")} · schedule {options.Schedule}{(options.WeightDecay > 0 ? $" · weight decay {Common.Num(options.WeightDecay)}" : "")}{(options.Patience > 0 ? $" · patience {options.Patience}" : "")}");
            console.WriteLine(options.BatchSize == 0
                ? $"  full batch · {options.Iterations} iterations · dev {options.DevSize:N0} images held out · threads {options.Threads}"
                : $"  batch {options.BatchSize} · {options.Epochs} epochs · dev {options.DevSize:N0} images held out · threads {options.Threads}");
            console.WriteLine($"  data {sets.Train.Source} ({sets.Train.Count:N0} training, {test.Count:N0} test images)");

            string checkpointPath = parsed.GetValue(checkpoint) ?? Path.ChangeExtension(outPath, null) + ".checkpoint.safetensors";
            var trainer = new Trainer(options) { InitialParameters = initial, ResumeFrom = resumed, CheckpointEvery = every };
            if (every > 0)
            {
                trainer.OnCheckpoint = (network, state) =>
                {
                    Checkpoint.Save(checkpointPath, network, options, state);
                    if (!Progress.IsInteractive(console, parsed.GetValue(plain)))
                    {
                        console.WriteLine($"checkpoint saved to {checkpointPath} ({state.Completed} {(options.BatchSize == 0 ? "iterations" : "epochs")})");
                    }
                };
            }
            bool live = Progress.IsInteractive(console, parsed.GetValue(plain));
            if (!live)
            {
                trainer.OnLog = p => console.WriteLine(Progress.Line(p, options));
            }
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
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(CliApp.Cancellation);
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true;
                cancel.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            TrainingResult result;
            try
            {
                result = live
                    ? Progress.Run(trainer, options, () => trainer.Train(sets.Train, test.Count > 0 ? test : null, cancel.Token))
                    : trainer.Train(sets.Train, test.Count > 0 ? test : null, cancel.Token);
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
            console.WriteLine(test.Count > 0
                ? $"test accuracy {Common.Percent(record.TestAccuracy ?? 0)} on {test.Count:N0} test images (loss {Common.Num(record.TestLoss ?? 0, "0.0000")})"
                : "test accuracy: no test set (give --test-data with labelled images)");
            console.WriteLine($"wall time {Common.Num(record.Seconds, "0.0")} s (training {Common.Num(record.TrainSeconds, "0.0")} s)");
            ModelFile.Save(outPath, result.Network, Metadata(record));
            console.WriteLine($"model saved to {outPath}");
            if (metricsPath is not null)
            {
                AtomicFile.WriteText(metricsPath, record.ToJson());
                console.WriteLine($"metrics written to {metricsPath}");
            }
            if (parsed.GetValue(report) is { } reportFolder)
            {
                if (test.Count == 0)
                {
                    throw new ArgumentException("--report needs a test set to evaluate on: give --test-data with labelled images.");
                }
                ReportCommand.Write(console, new Model(result.Network, Metadata(record)), test, record, reportFolder, outPath);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static int[] ParseLayers(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        var sizes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] < 1)
            {
                throw new ArgumentException($"--layers {text}: '{parts[i]}' is not a positive whole number; write sizes like 784,256,10.");
            }
        }
        if (sizes.Length < 2)
        {
            throw new ArgumentException($"--layers {text}: give at least the input and output sizes, e.g. 784,10.");
        }
        return sizes;
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
        ["best_epoch"] = record.BestEpoch?.ToString(CultureInfo.InvariantCulture) ?? "",
        ["data"] = record.Data,
    };
}
