// `scratchnet train`: trains a preset (default: the notes' seed recipe), printing the settings and
// the engine, a line every logging interval, and the test accuracy; saves the model atomically.
// Thin: the options are one table bound to TrainingOptions; the library checks, loads and trains.
using System.CommandLine;
using System.Runtime.InteropServices;
using System.Globalization;
using System.Text.Json;
using ScratchNet.Data;
using ScratchNet.Engines;
using ScratchNet.Serialization;
using ScratchNet.Training;

namespace ScratchNet.Cli.Commands;

internal static class TrainCommand
{
    /// <summary>One row of the options table: a command-line option and how a given value changes the settings.</summary>
    private sealed record Setting(Option Option, Func<ParseResult, TrainingOptions, TrainingOptions> Apply);

    private static Setting Set<T>(Option<T> option, Func<TrainingOptions, T, TrainingOptions> apply) =>
        new(option, (parsed, options) => apply(options, parsed.GetValue(option)!));

    /// <summary>
    /// The options that override the preset's settings, one row each: its name, help and default (the
    /// seed preset's), and the field of TrainingOptions it sets. Applied in this order, only when given.
    /// </summary>
    private static List<Setting> Settings()
    {
        TrainingOptions seed = Presets.Get("seed");
        const string presetNote = " Presets set their own; the default shown is the seed preset's.";
        var activation = new Option<string>("--activation") { Description = "Hidden-layer activation g.", DefaultValueFactory = _ => seed.Activation };
        activation.AcceptOnlyFromAmong([.. ScratchNet.Layers.Activation.Names]);
        var init = new Option<string>("--init") { Description = "Initial weights: seed-uniform (U[−0.5, 0.5]), xavier, he, or auto (he for relu, xavier for tanh/sigmoid; the default with --layers)." + presetNote, DefaultValueFactory = _ => "seed-uniform" };
        init.AcceptOnlyFromAmong([.. ScratchNet.Layers.Initializers.Names, "auto"]);
        var loss = new Option<string>("--loss") { Description = "cross_entropy (softmax output) or mse (sigmoid outputs, quadratic cost).", DefaultValueFactory = _ => seed.Loss };
        loss.AcceptOnlyFromAmong([.. ScratchNet.Losses.LossFunctions.Names]);
        var optimizer = new Option<string>("--optimizer") { Description = "sgd, momentum, nesterov, adam or adamw. Without --alpha it uses its own default rate (sgd 0.1, momentum 0.01, adam 0.001)." + presetNote, DefaultValueFactory = _ => seed.Optimizer };
        optimizer.AcceptOnlyFromAmong([.. ScratchNet.Optimizers.Optimizers.Names]);
        var schedule = new Option<string>("--schedule") { Description = "Learning-rate schedule: constant, step (×γ every --step-size epochs) or cosine." + presetNote, DefaultValueFactory = _ => seed.Schedule };
        schedule.AcceptOnlyFromAmong([.. ScratchNet.Optimizers.Schedules.Names]);
        return
        [
            Set(new Option<string>("--layers") { Description = $"Layer sizes, input first, e.g. 784,256,128,10; or a layer list, e.g. conv32k3,bn,relu,pool,conv64k3,bn,relu,pool,dense128,relu,10 ({ScratchNet.Layers.Architecture.Syntax}; the input is the image, softmax follows the last)." + presetNote, HelpName = "LAYERS", DefaultValueFactory = _ => string.Join(',', seed.Layers) },
                (o, v) => ScratchNet.Layers.Architecture.IsLayerList(v) ? o.WithArchitecture(v) with { Init = null } : o with { Layers = ParseLayers(v), Architecture = null, Init = null }),
            Set(new Option<int>("--hidden") { Description = "Width of the hidden layer: network 784-H-10 (the seed recipe with another width).", DefaultValueFactory = _ => seed.Layers[1] },
                WithHidden),
            Set(activation, (o, v) => o with { Activation = v }),
            Set(init, (o, v) => o with { Init = v == "auto" ? null : ScratchNet.Layers.Initializers.Parse(v) }),
            Set(loss, (o, v) => o with { Loss = v }),
            Set(optimizer, (o, v) => v == o.Optimizer ? o : o with { Optimizer = v, Alpha = ScratchNet.Optimizers.Optimizers.DefaultAlpha(v) }),
            Set(new Option<float>("--alpha", "--lr") { Description = "Learning rate α." + presetNote, DefaultValueFactory = _ => seed.Alpha }, (o, v) => o with { Alpha = v }),
            Set(new Option<float>("--momentum") { Description = "μ for momentum and nesterov.", DefaultValueFactory = _ => seed.Momentum }, (o, v) => o with { Momentum = v }),
            Set(new Option<float>("--weight-decay") { Description = "λ, L2 weight decay (decoupled for adamw, whose 0 means 0.01).", DefaultValueFactory = _ => seed.WeightDecay }, (o, v) => o with { WeightDecay = v }),
            Set(schedule, (o, v) => o with { Schedule = v }),
            Set(new Option<int>("--step-size") { Description = "Epochs between decays of the step schedule.", DefaultValueFactory = _ => seed.StepSize }, (o, v) => o with { StepSize = v }),
            Set(new Option<float>("--gamma") { Description = "Decay factor γ of the step schedule.", DefaultValueFactory = _ => seed.Gamma }, (o, v) => o with { Gamma = v }),
            Set(new Option<int>("--batch-size") { Description = "Examples per step; 0 = full batch (then --iterations counts the steps)." + presetNote, DefaultValueFactory = _ => seed.BatchSize }, (o, v) => o with { BatchSize = v }),
            Set(new Option<int>("--epochs") { Description = "Passes over the training set with mini-batches." + presetNote, DefaultValueFactory = _ => seed.Epochs }, (o, v) => o with { Epochs = v }),
            Set(new Option<int>("--iterations") { Description = "Full-batch gradient-descent iterations.", DefaultValueFactory = _ => seed.Iterations }, (o, v) => o with { Iterations = v }),
            Set(new Option<float>("--dropout") { Description = "Dropout rate after each hidden activation (0 = none)." + presetNote, DefaultValueFactory = _ => seed.Dropout }, (o, v) => o with { Dropout = v }),
            Set(new Option<string>("--augment") { Description = "Move each training image a little every epoch: none, affine (rotation ±12°, scaling ±10 %, shift ±2 px) or elastic (affine and an elastic distortion). Mini-batches only; drawn from the seed." + presetNote, HelpName = "KIND", DefaultValueFactory = _ => "none" },
                (o, v) => o with { Augment = v == "none" ? null : v }),
            Set(new Option<int>("--patience") { Description = "Early stopping: stop when dev accuracy has not improved for this many epochs, keeping the best model (0 = off).", DefaultValueFactory = _ => seed.Patience }, (o, v) => o with { Patience = v }),
            Set(new Option<int>("--dev-size") { Description = "Training images held out as the dev (validation) set.", DefaultValueFactory = _ => seed.DevSize }, (o, v) => o with { DevSize = v }),
            Set(new Option<int>("--log-interval") { Description = "Full-batch iterations between progress lines.", DefaultValueFactory = _ => seed.LogEvery }, (o, v) => o with { LogEvery = v }),
            Set(new Option<ulong?>("--seed") { Description = $"Random seed: split, initial weights, shuffles, dropout; same seed, same bits. Default: the preset's ({string.Join(", ", Presets.Names.Select(n => $"{n}: {Presets.Get(n).Seed}"))})." },
                (o, v) => o with { Seed = v ?? o.Seed }),
            Set(new Option<int>("--threads") { Description = "Threads to compute with (results do not depend on it).", DefaultValueFactory = _ => Environment.ProcessorCount }, (o, v) => o with { Threads = v }),
            Set(Common.EngineOption("Which engine runs the training steps and evaluations"), (o, v) => o with { Engine = EngineChooser.Parse(v) }),
        ];
    }

    private static TrainingOptions WithHidden(TrainingOptions options, int h)
    {
        if (h < 1 || h > Limits.MaxUnits)
        {
            throw new ArgumentException($"--hidden {h}: the hidden layer needs 1..{Limits.MaxUnits} units.");
        }
        if (options.Architecture is not null)
        {
            throw new ArgumentException($"--hidden sets the width of a dense network with one hidden layer; the {options.Preset} preset is the layer list {options.Architecture}. Use --layers.");
        }
        if (options.Layers.Length != 3)
        {
            throw new ArgumentException($"--hidden sets the width of a network with one hidden layer; the {options.Preset} preset has {options.Layers.Length - 2}. Use --layers.");
        }
        return options with { Layers = [options.Layers[0], h, options.Layers[^1]] };
    }

    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"Recipe to start from: {string.Join(", ", Presets.Names)}. The options below override it.", DefaultValueFactory = _ => "seed" };
        preset.AcceptOnlyFromAmong([.. Presets.Names]);
        List<Setting> settings = Settings();
        var threads = (Option<int>)settings.Single(s => s.Option.Name == "--threads").Option;
        var data = Common.DataOption();
        var testData = new Option<string?>("--test-data") { Description = "With --data FILE.csv: a labelled CSV (or IDX folder) to report test accuracy on.", HelpName = "FILE.csv|DIR" };
        var output = new Option<string?>("--out", "--save-model") { Description = "Where to save the trained model. Default: models/PRESET.safetensors, with the shape and the data set's name added when they differ from the preset's (kept if it exists: see --force).", HelpName = "PATH" };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Save a checkpoint every N epochs (full batch: every N iterations); 0 = never.", DefaultValueFactory = _ => 0 };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Where checkpoints go. Default: beside --out, as NAME.checkpoint.safetensors.", HelpName = "PATH" };
        var resume = new Option<string?>("--resume") { Description = "Go on from a checkpoint with its settings, optimiser state, random state and history (same --data).", HelpName = "CHECKPOINT" };
        var initFrom = new Option<string?>("--init-from") { Description = "Start from this saved model's weights (same architecture).", HelpName = "MODEL" };
        var metrics = new Option<string?>("--metrics-json") { Description = "Also write the run's record (settings, engine, history, accuracies, seconds) as JSON.", HelpName = "PATH" };
        var dryRun = new Option<bool>("--dry-run") { Description = $"A quick check: a few iterations (or one epoch) on 2,000 training images, {TrainingOptions.DryRunTestImages:N0} test images." };
        var explain = new Option<bool>("--explain") { Description = "Before training, print the notes' equations with this run's shapes and values." };
        var report = new Option<string?>("--report") { Description = "After training, write the HTML report (curves, confusion matrix, mistakes, hidden units) into this folder.", HelpName = "DIR" };
        var force = new Option<bool>("--force") { Description = "Replace a model already at the default path (a model named with --out is replaced anyway)." };
        var plain = new Option<bool>("--plain") { Description = "Plain progress lines instead of live progress bars (also when output is redirected or NO_COLOR is set)." };

        var command = new Command("train", "Train a network on MNIST (or --data) and report its test accuracy.") { preset };
        foreach (Setting setting in settings)
        {
            command.Options.Add(setting.Option);
        }
        foreach (Option option in new Option[] { data, testData, output, force, checkpointEvery, checkpoint, resume, initFrom, metrics, dryRun, explain, report, plain })
        {
            command.Options.Add(option);
        }
        command.SetAction(parsed => CliApp.Guard(parsed, console =>
        {
            string presetName = parsed.GetValue(preset)!;
            TrainingOptions options = Presets.Get(presetName) with { Preset = presetName };
            // Options that contradict each other, or that would be silently ignored, stop here.
            if (Given(parsed, settings, "--layers") && Given(parsed, settings, "--hidden"))
            {
                throw new ArgumentException("--hidden and --layers both set the network's shape; give one (--layers 784,H,10 is --hidden H).");
            }
            if (parsed.GetValue(resume) is not null)
            {
                string[] recipe = [.. settings.Select(s => s.Option.Name).Where(n => n is not "--threads" and not "--engine" && Given(parsed, settings, n))];
                if (recipe.Length > 0 || parsed.GetResult(preset) is { Implicit: false } || parsed.GetValue(initFrom) is not null)
                {
                    string named = recipe.Length > 0 ? recipe[0] : parsed.GetValue(initFrom) is not null ? "--init-from" : "--preset";
                    throw new ArgumentException($"--resume goes on with the checkpoint's own recipe; {named} cannot change it. Remove {named}, or start afresh without --resume.");
                }
            }
            foreach (Setting setting in settings.Where(s => parsed.GetResult(s.Option) is { Implicit: false }))
            {
                options = setting.Apply(parsed, options);
            }
            bool dry = parsed.GetValue(dryRun);
            if (dry)
            {
                options = options.DryRun();
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
                if (!Given(parsed, settings, "--layers") && !Given(parsed, settings, "--hidden"))
                {
                    options = initial.HasMaps
                        ? options.WithArchitecture(initial.Shape, initial.InputSize)
                        : options with { Layers = [initial.InputSize, .. initial.DenseLayers.Select(d => d.Outputs)], Architecture = null };
                }
            }
            options.Validate();
            // The default name says what the model is; a model already there is kept unless --force.
            string outPath = parsed.GetValue(output) ?? DefaultModelPath(options, parsed.GetValue(data));
            if (parsed.GetValue(output) is null && File.Exists(outPath) && !parsed.GetValue(force))
            {
                throw new ArgumentException($"{outPath} exists (a model from an earlier run); give --force to replace it, or --out to name another file.");
            }
            string? metricsPath = parsed.GetValue(metrics);

            string? reportFolder = parsed.GetValue(report);
            // Every file the run will write is checked writable before any work.
            AtomicFile.CheckWritable(outPath, "--out");
            if (metricsPath is not null)
            {
                AtomicFile.CheckWritable(metricsPath, "--metrics-json");
            }
            if (reportFolder is not null)
            {
                AtomicFile.CheckWritable(Path.Combine(reportFolder, "index.html"), "--report");
            }
            string checkpointPath = parsed.GetValue(checkpoint) ?? Path.ChangeExtension(outPath, null) + ".checkpoint.safetensors";
            if (every > 0)
            {
                AtomicFile.CheckWritable(checkpointPath, "--checkpoint");
            }
            TrainTest sets = DataSource.Load(parsed.GetValue(data), parsed.GetValue(testData));
            options.ValidateFor(sets.Train.Count, sets.Train.Features, sets.Train.Classes);
            if (reportFolder is not null && sets.Test.Count == 0)
            {
                throw new ArgumentException("--report needs a test set to evaluate on: give --test-data with labelled images.");
            }
            Dataset test = dry ? sets.Test.Take(TrainingOptions.DryRunTestImages) : sets.Test;
            EngineChoice engine = options.ChooseEngine();
            string[] changed = [.. settings.Select(x => x.Option.Name).Where(n => n is not "--threads" and not "--engine" and not "--seed" && Given(parsed, settings, n))];
            string changedBy = changed.Length > 0 ? $", changed by {string.Join(", ", changed)}" : "";
            console.WriteLine($"ScratchNet train · seed {options.Seed} · preset {options.Preset}{changedBy}{(dry ? " (dry run)" : "")}");
            console.WriteLine($"  network {options.ShapeText}{(options.Architecture is null ? $", {options.Activation}" : "")}, {(options.Loss == "mse" ? "sigmoid + mse" : "softmax")}{(options.Dropout > 0 ? $", dropout {Common.Num(options.Dropout)}" : "")} · init {options.EffectiveInit}");
            console.WriteLine($"  optimizer {options.Optimizer} · α = {Common.Num(options.Alpha, "0.######")} · schedule {options.Schedule}{(options.WeightDecay > 0 ? $" · weight decay {Common.Num(options.WeightDecay)}" : "")}{(options.Patience > 0 ? $" · patience {options.Patience}" : "")}");
            console.WriteLine(options.BatchSize == 0
                ? $"  full batch · {options.Iterations} iterations · dev {options.DevSize:N0} images held out · threads {options.Threads}"
                : $"  batch {options.BatchSize} · {options.Epochs} epochs{(options.Augment is { } augment ? $" · augment {augment}" : "")} · dev {options.DevSize:N0} images held out · threads {options.Threads}");
            int training = options.TrainLimit > 0 ? Math.Min(sets.Train.Count - options.DevSize, options.TrainLimit) : sets.Train.Count - options.DevSize;
            console.WriteLine($"  data {sets.Train.Source} ({training:N0} images to train on, {options.DevSize:N0} held out, {test.Count:N0} test images)");
            console.WriteLine($"  engine {engine}");
            console.WriteLine($"  machine {ScratchNet.Tensors.Machine.Processor} · {ScratchNet.Tensors.Simd.Level}");
            console.WriteLine($"  model → {outPath}{(File.Exists(outPath) ? " (replacing the file there)" : "")}");

            string? lastCheckpoint = null;
            var trainer = new Trainer(options) { InitialParameters = initial, ResumeFrom = resumed, CheckpointEvery = every };
            if (every > 0)
            {
                trainer.OnCheckpoint = (network, state) =>
                {
                    if (!SaveCheckpoint(checkpointPath, network, options, state, parsed.InvocationConfiguration.Error))
                    {
                        return;
                    }
                    lastCheckpoint = checkpointPath;
                    if (!Progress.IsInteractive(console, parsed.GetValue(plain)))
                    {
                        console.WriteLine($"checkpoint saved to {checkpointPath} ({state.Completed} {(options.BatchSize == 0 ? "iterations" : "epochs")})");
                    }
                };
            }
            bool live = Progress.IsInteractive(console, parsed.GetValue(plain));
            TrainingResult result;
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
            // Ctrl-C (SIGINT), SIGTERM and SIGHUP all stop the run after the current step, the same way.
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(CliApp.Cancellation);
            string stoppedBy = "Ctrl-C";
            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stoppedBy = context.Signal switch { PosixSignal.SIGTERM => "SIGTERM", PosixSignal.SIGHUP => "SIGHUP", _ => "Ctrl-C" };
                cancel.Cancel();
            }
            using (PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop))
            using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop))
            using (PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop))
            {
                TrainingResult run = live
                    ? Progress.Run(trainer, options, () => trainer.Train(sets.Train, test.Count > 0 ? test : null, cancel.Token))
                    : trainer.Train(sets.Train, test.Count > 0 ? test : null, cancel.Token);
                if (run.Cancelled)
                {
                    string kept = File.Exists(outPath) ? $" The previous model at {outPath} is untouched." : "";
                    string resume = lastCheckpoint is null ? "" : $" Go on with 'scratchnet train --resume {lastCheckpoint}'.";
                    parsed.InvocationConfiguration.Error.WriteLine($"Stopped by {stoppedBy}; no model was saved.{kept}{resume}");
                    return ExitCodes.Cancelled;
                }
                result = run;
            }
            TrainingRecord record = result.Record;
            console.WriteLine($"final: train {Common.Percent(record.TrainAccuracy)} · dev {(record.DevAccuracy is { } dev ? Common.Percent(dev) : "-")}");
            console.WriteLine(test.Count > 0
                ? $"test accuracy {Common.Percent(record.TestAccuracy ?? 0)} on {test.Count:N0} test images (loss {Common.Num(record.TestLoss ?? 0, "0.0000")})"
                : "test accuracy: no test set (give --test-data with labelled images)");
            console.WriteLine($"wall time {Common.Num(record.Seconds, "0.0")} s (training {Common.Num(record.TrainSeconds, "0.0")} s)");
            ModelFile.Save(outPath, result.Network, Metadata(record, parsed.GetValue(data)));
            console.WriteLine($"model saved to {outPath}");
            if (metricsPath is not null)
            {
                AtomicFile.WriteText(metricsPath, record.ToJson());
                console.WriteLine($"metrics written to {metricsPath}");
            }
            if (reportFolder is not null)
            {
                ReportWriter.Write(console, new Model(result.Network, Metadata(record, parsed.GetValue(data))), test, record, reportFolder, outPath, options.Engine);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static bool IsShipped(string data) =>
        MnistData.FindShippedDirectory() is { } shipped && Path.TrimEndingDirectorySeparator(Path.GetFullPath(data)) == Path.TrimEndingDirectorySeparator(Path.GetFullPath(shipped));

    /// <summary>models/PRESET.safetensors for a preset's own recipe on the shipped data; otherwise with the shape and the data set's name added, e.g. models/seed-784-256-10-fashion-mnist.safetensors.</summary>
    internal static string DefaultModelPath(TrainingOptions options, string? data)
    {
        var parts = new List<string> { options.Preset };
        if (options.ShapeText != Presets.Get(options.Preset).ShapeText)
        {
            parts.Add(options.ShapeText.Replace(',', '-'));
        }
        if (data is not null)
        {
            string name = Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(Path.GetFullPath(data)));
            parts.Add(string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? char.ToLowerInvariant(c) : '-')));
        }
        return Path.Combine("models", string.Join('-', parts) + ".safetensors");
    }

    /// <summary>Saves a checkpoint; one that cannot be written (a full disk) is reported on <paramref name="error"/> and costs that checkpoint, not the run.</summary>
    internal static bool SaveCheckpoint(string path, ScratchNet.Layers.Network network, TrainingOptions options, TrainerState state, TextWriter error)
    {
        try
        {
            Checkpoint.Save(path, network, options, state);
            return true;
        }
        catch (IOException e)
        {
            error.WriteLine($"warning: checkpoint not saved: {e.Message} Training goes on.");
            return false;
        }
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

    private static bool Given(ParseResult parsed, List<Setting> settings, string name) =>
        parsed.GetResult(settings.Single(s => s.Option.Name == name).Option) is { Implicit: false };

    private static Dictionary<string, string> Metadata(TrainingRecord record, string? dataOption)
    {
        var metadata = new Dictionary<string, string>
        {
            ["data_option"] = dataOption is null || IsShipped(dataOption) ? "" : Path.GetFullPath(dataOption),
            ["classes"] = ClassNames.For(dataOption).Count == record.Settings.Layers[^1] ? string.Join(',', ClassNames.For(dataOption)) : "",
        };
        foreach ((string key, string value) in record.ModelMetadata())
        {
            metadata[key] = value;
        }
        return metadata;
    }
}
