// The scratchnet commands in-process: output, exit codes, and clear errors (no stack traces)
// for every malformed input.
using ScratchNet.Cli;
using ScratchNet.Data;
using ScratchNet.Serialization;
using ScratchNet.Training;

namespace ScratchNet.Tests.Cli;

public class CliTests
{
    internal static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static readonly Lazy<string> DryModel = new(() =>
    {
        string dir = TestData.TempDir();
        string model = Path.Combine(dir, "dry.safetensors");
        var (code, _, err) = Run("train", "--dry-run", "--out", model, "--threads", "1");
        Assert.True(code == 0, err);
        return model;
    });

    [Fact]
    public void Help_lists_every_train_option_with_its_default()
    {
        var (code, output, _) = Run("train", "--help");
        Assert.Equal(0, code);
        foreach (string option in new[] { "--alpha", "--iterations", "--hidden", "--activation", "--dev-size", "--seed", "--threads", "--data", "--out", "--metrics-json", "--dry-run", "--preset", "--explain" })
        {
            Assert.Contains(option, output);
        }
        Assert.Contains("[default: 0.1]", output);
        Assert.Contains("[default: 500]", output);
        Assert.Contains("[default: relu]", output);
        Assert.Contains("[default: 1000]", output);
    }

    [Theory]
    [InlineData("train", "--dry-run", "--iterations", "2")]
    [InlineData("evaluate")]
    [InlineData("predict", "--index", "7")]
    [InlineData("explain")]
    [InlineData("report")]
    public void Every_command_that_runs_a_network_takes_engine_and_refuses_one_that_cannot(params string[] args)
    {
        string dir = TestData.TempDir();
        string[] model = args[0] switch
        {
            "train" => ["--out", Path.Combine(dir, "e.safetensors")],
            "explain" => [],
            "report" => ["--model", DryModel.Value, "--out", Path.Combine(dir, "report")],
            _ => ["--model", DryModel.Value],
        };
        var (code, output, err) = Run([.. args, .. model, "--engine", "layers"]);
        Assert.True(code == 0, err);
        Assert.Contains("layers (forced with --engine layers)", output);
        (code, _, err) = Run([.. args, .. model, "--engine", "turbo"]);
        Assert.Equal(1, code);
        Assert.Contains("--engine turbo: use one of auto, layers, fused, packed", err);
    }

    [Fact]
    public void The_train_header_and_the_run_record_name_the_processor_and_vector_level()
    {
        string dir = TestData.TempDir();
        string metrics = Path.Combine(dir, "run.json");
        var (code, output, err) = Run("train", "--dry-run", "--out", Path.Combine(dir, "m.safetensors"), "--metrics-json", metrics, "--threads", "1");
        Assert.True(code == 0, err);
        Assert.Contains($"  machine {ScratchNet.Tensors.Machine.Processor} · {ScratchNet.Tensors.Simd.Level}", output);
        TrainingRecord record = TrainingRecord.Load(metrics);
        Assert.Equal(ScratchNet.Tensors.Simd.Level, record.VectorLevel);
        Assert.Equal(ScratchNet.Tensors.Machine.Processor, record.Processor);
        Assert.Contains(ScratchNet.Tensors.Simd.Level, record.Machine);
    }

    [Fact]
    public void A_convolutional_network_trains_explains_evaluates_and_predicts_from_the_command_line()
    {
        string dir = TestData.TempDir();
        string model = Path.Combine(dir, "cnn.safetensors"), metrics = Path.Combine(dir, "cnn.json");
        var (code, output, err) = Run("train", "--preset", "cnn-fast", "--dry-run", "--augment", "elastic", "--out", model, "--metrics-json", metrics);
        Assert.True(code == 0, err);
        Assert.Contains("network conv8k3,pool,bn,relu,conv16k3,pool,bn,relu,dense64,relu,10, softmax", output);
        Assert.Contains("augment elastic", output);
        Assert.Equal("elastic", TrainingRecord.Load(metrics).Settings.Augment);
        (code, output, err) = Run("explain", "--model", model);
        Assert.True(code == 0, err);
        Assert.Contains("Z1 = W1 ⋆ A0 + b1            (8×1×3×3) ⋆ (m×1×28×28) + (8) → (m×8×28×28)", output);
        (code, output, err) = Run("evaluate", "--model", model);
        Assert.True(code == 0, err);
        Assert.Contains("test accuracy", output);
        (code, output, err) = Run("predict", "--model", model, "--index", "0");
        Assert.True(code == 0, err);
        Assert.Contains("true label 7", output);
    }

    [Theory]
    [InlineData(null, null, "seed.safetensors")]
    [InlineData("784,32,10", null, "seed-784-32-10.safetensors")]
    [InlineData(null, "/data/fashion-mnist", "seed-fashion-mnist.safetensors")]
    [InlineData("784,64,10", "/data/Kaggle Train.csv", "seed-784-64-10-kaggle-train.safetensors")]
    public void The_default_model_name_says_what_the_model_is(string? layers, string? data, string expected)
    {
        TrainingOptions options = Presets.Get("seed") with { Preset = "seed" };
        if (layers is not null)
        {
            options = options with { Layers = [.. layers.Split(',').Select(int.Parse)] };
        }
        Assert.Equal(Path.Combine("models", expected), ScratchNet.Cli.Commands.TrainCommand.DefaultModelPath(options, data));
    }

    [Fact]
    public void A_model_at_the_default_path_is_kept_unless_force()
    {
        string cwd = TestData.TempDir();
        string cli = Path.Combine(AppContext.BaseDirectory, "ScratchNet.Cli.dll");
        (int Code, string Err) Train(params string[] more)
        {
            var start = new System.Diagnostics.ProcessStartInfo("dotnet", [cli, "train", "--dry-run", "--plain", "--data", ScratchNet.Data.MnistData.FindShippedDirectory()!, .. more])
            {
                WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            using var process = System.Diagnostics.Process.Start(start)!;
            process.StandardOutput.ReadToEnd();
            string err = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, err);
        }
        string model = Path.Combine(cwd, "models", "seed-mnist.safetensors");
        Assert.Equal(0, Train().Code);
        byte[] first = File.ReadAllBytes(model);
        var (code, err) = Train("--seed", "3");
        Assert.Equal(2, code);
        Assert.Contains("seed-mnist.safetensors exists (a model from an earlier run); give --force to replace it, or --out to name another file.", err);
        Assert.Equal(first, File.ReadAllBytes(model));
        Assert.Equal(0, Train("--seed", "3", "--force").Code);
        Assert.NotEqual(first, File.ReadAllBytes(model));
    }

    [Fact]
    public void A_model_trained_on_other_data_is_not_scored_against_MNIST_without_a_word()
    {
        var model = new Model(ScratchNet.Layers.Network.CreateDense([784, 10, 10], "relu"), new Dictionary<string, string> { ["data_option"] = "/data/fashion-mnist" });
        var ex = Assert.Throws<ArgumentException>(() => ScratchNet.Cli.Commands.Common.CheckDataset(model, null, "m.safetensors"));
        Assert.Contains("m.safetensors was trained on /data/fashion-mnist, not the shipped MNIST; give --data /data/fashion-mnist", ex.Message);
        ScratchNet.Cli.Commands.Common.CheckDataset(model, "/data/fashion-mnist", "m.safetensors");   // with --data: as the user says
    }

    [Fact]
    public void Explain_on_a_model_trained_otherwise_says_so_and_prints_numbers_as_a_person_writes_them()
    {
        string model = Path.Combine(TestData.TempDir(), "adam.safetensors");
        Assert.Equal(0, Run("train", "--dry-run", "--optimizer", "adam", "--batch-size", "64", "--out", model).Code);
        var (code, output, err) = Run("explain", "--model", model);
        Assert.True(code == 0, err);
        Assert.Contains("It was trained with adam (α = 0.001)", output);
        Assert.Contains("Update parameters (UP), α = 0.001", output);
        Assert.DoesNotContain("·-", output);
        Assert.DoesNotContain(" -0 ", output + " ");
        Assert.DoesNotContain("= -0\n", output);
    }

    [Fact]
    public void A_model_of_named_classes_is_shown_with_its_names()
    {
        Assert.Same(ClassNames.FashionMnist, ClassNames.For("/usr/share/datasets/fashion-mnist"));
        Assert.Same(ClassNames.Digits, ClassNames.For(null));
        var network = ScratchNet.Layers.Network.CreateDense([784, 10, 10], "relu");
        network.Initialize(ScratchNet.Layers.Initializer.He, new ScratchNet.Tensors.Rng(1));
        string model = Path.Combine(TestData.TempDir(), "fashion.safetensors");
        ModelFile.Save(model, network, new Dictionary<string, string> { ["classes"] = string.Join(',', ClassNames.FashionMnist) });
        string shipped = MnistData.FindShippedDirectory()!;
        var (code, output, err) = Run("predict", "--model", model, "--index", "0", "--data", shipped);
        Assert.True(code == 0, err);
        Assert.Contains("true label 7 (Sneaker)", output);
        Assert.Contains("9 (Ankle boot)", output);
        (code, output, err) = Run("evaluate", "--model", model, "--data", shipped);
        Assert.True(code == 0, err);
        Assert.Contains("classes: 0 T-shirt/top, 1 Trouser,", output);
    }

    [Fact]
    public void The_dry_run_header_counts_the_images_it_uses()
    {
        var (code, output, err) = Run("train", "--dry-run", "--out", Path.Combine(TestData.TempDir(), "m.safetensors"));
        Assert.True(code == 0, err);
        Assert.Contains("(2,000 images to train on, 500 held out, 1,000 test images)", output);
        (code, output, err) = Run("train", "--dry-run", "--layers", "784,32,10", "--optimizer", "adam", "--batch-size", "64", "--out", Path.Combine(TestData.TempDir(), "m.safetensors"));
        Assert.True(code == 0, err);
        Assert.StartsWith("ScratchNet train · seed 0 · preset seed, changed by --layers, --optimizer, --batch-size (dry run)", output);
    }

    [Fact]
    public void Data_fetch_mnist_says_it_ships_instead_of_downloading()
    {
        var (code, output, _) = Run("data", "fetch", "mnist");
        Assert.Equal(0, code);
        Assert.Contains("MNIST ships with ScratchNet in", output);
    }

    [Theory]
    [InlineData(1.0, "100.00%")]
    [InlineData(0.99999, ">99.99%")]
    [InlineData(0.000001, "<0.01%")]
    [InlineData(0.0, "0.00%")]
    [InlineData(0.5, "50.00%")]
    public void Probabilities_never_round_to_a_false_100_or_0_percent(double p, string shown)
    {
        Assert.Equal(shown, ScratchNet.Cli.Commands.Common.Probability(p));
    }

    [Fact]
    public void Scratchnet_alone_shows_what_it_can_do_and_exits_0()
    {
        var (code, output, err) = Run();
        Assert.Equal(0, code);
        Assert.Equal("", err);
        foreach (string command in new[] { "train", "evaluate", "predict", "explain", "bench", "report", "compare", "serve", "data" })
        {
            Assert.Contains($"  {command} ", output);
        }
        Assert.Contains("Start with 'scratchnet train'", output);
    }

    [Theory]
    [InlineData("train --epoch 3", "error: Unrecognized command or argument '--epoch'. See 'scratchnet train --help'.")]
    [InlineData("train --lr --dry-run", "error: Cannot parse argument '--dry-run' for option '--alpha' as a number. See 'scratchnet train --help'.")]
    [InlineData("train --activation softplus", "error: Argument 'softplus' not recognized. Must be one of: 'relu', 'tanh', 'sigmoid', 'leaky_relu'. See 'scratchnet train --help'.")]
    [InlineData("predit", "error: Unrecognized command or argument 'predit'. See 'scratchnet --help'.")]
    public void A_command_line_error_is_one_line_with_where_to_look(string args, string expected)
    {
        var (code, output, err) = Run(args.Split(' '));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        Assert.Equal(expected, err.TrimEnd());
    }

    [Theory]
    [InlineData("predict --index 3 a.png", "--index and image files both say which images to predict; give one.")]
    [InlineData("predict --csv t.csv a.png", "--csv and image files both say which images to predict; give one.")]
    [InlineData("predict --index 3 --csv t.csv", "--index and --csv both say which images to predict; give one.")]
    [InlineData("predict --show", "--show draws the 28×28 inputs of image files")]
    public void Predict_refuses_options_it_would_ignore(string args, string expected)
    {
        var (code, _, err) = Run([.. args.Split(' '), "--model", DryModel.Value]);
        Assert.Equal(2, code);
        Assert.StartsWith($"error: {expected}", err);
    }

    [Fact]
    public void A_file_that_is_not_a_model_is_named_by_what_it_seems_to_be()
    {
        string dir = TestData.TempDir();
        string json = Path.Combine(dir, "seed.json"), text = Path.Combine(dir, "notes.txt");
        File.WriteAllText(json, "{\"settings\": {}}");
        File.WriteAllText(text, "hello, this is not a model");
        Assert.Contains("it seems to be JSON (a --metrics-json run record?)", Run("evaluate", "--model", json).Err);
        Assert.Contains("it seems to be a text file", Run("evaluate", "--model", text).Err);
        string? shipped = ScratchNet.Data.MnistData.FindShippedDirectory();
        if (shipped is not null)
        {
            Assert.Contains("it seems to be gzip-compressed data", Run("evaluate", "--model", Path.Combine(shipped, "t10k-labels-idx1-ubyte.gz")).Err);
        }
        Assert.DoesNotContain("--out", Run("evaluate", "--model", json).Err);   // never suggests writing over the file given
    }

    [Fact]
    public void A_file_where_a_folder_belongs_is_named_as_such()
    {
        string file = Path.Combine(TestData.TempDir(), "README.md");
        File.WriteAllText(file, "text");
        Assert.Contains("is a file; --data takes a folder of IDX files", Run("train", "--dry-run", "--data", file).Err);
        Assert.Contains("is a file; the report is a folder", Run("report", "--model", DryModel.Value, "--out", file).Err);
        Assert.Contains("is a folder", Run("predict", "--model", DryModel.Value, Path.GetDirectoryName(file)!).Out + Run("predict", "--model", DryModel.Value, Path.GetDirectoryName(file)!).Err);
    }

    [Theory]
    [InlineData("--epochs 0 --batch-size 64", "--epochs 0: training with mini-batches needs at least 1 epoch.")]
    [InlineData("--iterations 0", "--iterations 0: full-batch training needs at least 1 iteration.")]
    [InlineData("--dev-size 60000", "--dev-size 60000: holds out more than half of the 60,000 training images; use at most 30,000.")]
    [InlineData("--batch-size 100000", "--batch-size 100000: more than the 59,000 images left to train on; use 0 for full batch, or at most 59,000.")]
    [InlineData("--layers 784,10,12", "The labels run 0–9 (10 classes) but the output layer has 12 units; make the last of --layers 10.")]
    [InlineData("--layers 784,32,10 --hidden 64", "--hidden and --layers both set the network's shape; give one (--layers 784,H,10 is --hidden H).")]
    [InlineData("--resume ck.safetensors --epochs 4", "--resume goes on with the checkpoint's own recipe; --epochs cannot change it. Remove --epochs, or start afresh without --resume.")]
    public void Options_that_cannot_work_together_or_with_the_data_stop_before_training(string options, string message)
    {
        string model = Path.Combine(TestData.TempDir(), "never.safetensors");
        var (code, output, err) = Run(["train", .. options.Split(' '), "--out", model]);
        Assert.Equal(2, code);
        Assert.Equal($"error: {message} See 'scratchnet train --help'.", err.Trim());
        Assert.DoesNotContain("iter ", output);
        Assert.DoesNotContain("epoch ", output);
        Assert.False(File.Exists(model));
    }

    [Fact]
    public async Task Serve_on_a_taken_port_is_one_line_and_exit_2()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        int port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var output = new StringWriter();
        var error = new StringWriter();
        // A hang guard: were the port free, serve would run until stopped.
        int code = await Task.Run(() => CliApp.Run(["serve", "--model", DryModel.Value, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)], output, error)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, code);
        string[] lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith($"error: cannot listen on http://127.0.0.1:{port}:", lines[0]);
        Assert.Contains("address already in use", lines[0]);
        Assert.DoesNotContain("   at ", error.ToString());
    }

    [Theory]
    [InlineData("127.0.0.l")]
    [InlineData("example.invalid")]
    [InlineData("")]
    public void Serve_refuses_a_host_that_is_not_an_address_before_loading_anything(string host)
    {
        var (code, output, err) = Run("serve", "--model", "no-such-model.safetensors", "--host", host, "--port", "0");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal($"error: --host '{host}': give an IP address", err.Split(" (127.0.0.1")[0].TrimEnd());
    }

    [Fact]
    public void A_forced_engine_that_cannot_run_the_network_is_refused_before_any_work()
    {
        string dir = TestData.TempDir();
        string model = Path.Combine(dir, "never.safetensors");
        var (code, output, err) = Run("train", "--preset", "seed-tuned", "--engine", "packed", "--out", model);
        Assert.Equal(2, code);
        Assert.Contains("--engine packed: it steps over whole data sets only (full batch: --batch-size 0)", err);
        Assert.DoesNotContain("epoch", output);
        Assert.False(File.Exists(model));
        (code, _, err) = Run("serve", "--model", DryModel.Value, "--engine", "fused", "--port", "0");
        Assert.Equal(2, code);
        Assert.Contains("one image at a time runs on the layer engine", err);
    }

    [Fact]
    public void Dry_run_trains_saves_and_writes_metrics()
    {
        string dir = TestData.TempDir();
        string model = Path.Combine(dir, "m.safetensors"), metrics = Path.Combine(dir, "run.json");
        var (code, output, err) = Run("train", "--dry-run", "--out", model, "--metrics-json", metrics, "--seed", "3");
        Assert.True(code == 0, err);
        Assert.StartsWith("ScratchNet train · seed 3 · preset seed (dry run)", output);
        Assert.Contains("iter     0  loss", output);
        Assert.Contains("test accuracy", output);
        Assert.Contains($"model saved to {model}", output);
        Assert.True(File.Exists(model));
        string json = File.ReadAllText(metrics);
        Assert.Contains("\"test_accuracy\"", json);
        Assert.Contains("\"history\"", json);
        Assert.Contains("\"alpha\": 0.1", json);
    }

    [Fact]
    public void Explain_prints_the_equations_with_shapes()
    {
        var (code, output, err) = Run("train", "--dry-run", "--explain", "--out", Path.Combine(TestData.TempDir(), "e.safetensors"));
        Assert.True(code == 0, err);
        Assert.Contains("Z1 = W1·A0 + b1", output);
        Assert.Contains("(10×784)·(784×2000) + (10×1) → (10×2000)", output);
        Assert.Contains("dZ2 = A2 − Y", output);
        Assert.Contains("dW1 = (1/m)·dZ1·A0ᵀ", output);
        Assert.Contains("W1 ← W1 − α·dW1", output);
    }

    [Fact]
    public void Evaluate_prints_accuracy_and_a_confusion_matrix()
    {
        var (code, output, err) = Run("evaluate", "--model", DryModel.Value);
        Assert.True(code == 0, err);
        Assert.Contains("test accuracy", output);
        Assert.Contains("confusion matrix (rows = true digit, columns = predicted digit)", output);
        var rows = output.Split('\n').Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+\d( +\d+){10}\s+[\d.]+%")).ToList();
        Assert.Equal(10, rows.Count);
    }

    [Fact]
    public void Predict_draws_the_image_and_ten_probabilities()
    {
        var (code, output, err) = Run("predict", "--model", DryModel.Value, "--index", "0");
        Assert.True(code == 0, err);
        Assert.Contains("true label 7", output);
        Assert.Contains("@@", output);
        Assert.Equal(10, output.Split('\n').Count(l => l.StartsWith("  ", StringComparison.Ordinal) && l.Length > 4 && char.IsDigit(l[2])));
    }

    [Theory]
    [InlineData("--index", "10000", "--index 10000")]
    [InlineData("--index", "-1", "--index -1")]
    public void Predict_rejects_an_index_outside_the_test_set(string option, string value, string expected)
    {
        var (code, _, err) = Run("predict", "--model", DryModel.Value, option, value);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void A_missing_or_broken_model_gives_a_clear_error_and_no_stack_trace()
    {
        var (code, _, err) = Run("evaluate", "--model", "/nonexistent/m.safetensors");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("model file not found", err);
        string broken = Path.Combine(TestData.TempDir(), "broken.safetensors");
        File.WriteAllBytes(broken, File.ReadAllBytes(DryModel.Value)[..100]);
        (code, _, err) = Run("predict", "--model", broken);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("not a valid model file", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void Bad_data_folders_give_clear_errors()
    {
        string dir = TestData.TempDir();
        var (code, _, err) = Run("train", "--dry-run", "--data", dir);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("missing train-images-idx3-ubyte", err);

        // Labels where images belong.
        File.WriteAllBytes(Path.Combine(dir, MnistData.TrainImages), Data.IdxReaderTests.Labels(10));
        File.WriteAllBytes(Path.Combine(dir, MnistData.TrainLabels), Data.IdxReaderTests.Labels(10));
        File.WriteAllBytes(Path.Combine(dir, MnistData.TestImages), Data.IdxReaderTests.Images(3, 28, 28));
        File.WriteAllBytes(Path.Combine(dir, MnistData.TestLabels), Data.IdxReaderTests.Labels(3));
        (code, _, err) = Run("train", "--dry-run", "--data", dir);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("wrong IDX magic number", err);
        Assert.DoesNotContain("   at ", err);

        (code, _, err) = Run("train", "--dry-run", "--data", Path.Combine(dir, "nope"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("folder not found", err);
    }

    [Fact]
    public void Other_idx_data_in_the_same_layout_trains()
    {
        string dir = TestData.TempDir();
        File.WriteAllBytes(Path.Combine(dir, MnistData.TrainImages + ".gz"), Data.IdxReaderTests.Gzip(Data.IdxReaderTests.Images(60, 28, 28)));
        File.WriteAllBytes(Path.Combine(dir, MnistData.TrainLabels + ".gz"), Data.IdxReaderTests.Gzip(Data.IdxReaderTests.Labels(60)));
        File.WriteAllBytes(Path.Combine(dir, MnistData.TestImages), Data.IdxReaderTests.Images(10, 28, 28));
        File.WriteAllBytes(Path.Combine(dir, MnistData.TestLabels), Data.IdxReaderTests.Labels(10));
        var (code, output, err) = Run("train", "--data", dir, "--iterations", "5", "--dev-size", "10", "--out", Path.Combine(dir, "m.safetensors"));
        Assert.True(code == 0, err);
        Assert.Contains("(50 images to train on, 10 held out, 10 test images)", output);
    }

    [Theory]
    [InlineData("--alpha", "-1", "--alpha")]
    [InlineData("--alpha", "NaN", "--alpha")]
    [InlineData("--hidden", "0", "--hidden")]
    [InlineData("--threads", "0", "--threads")]
    [InlineData("--dev-size", "-3", "--dev-size")]
    public void Out_of_range_options_give_clear_errors(string option, string value, string expected)
    {
        var (code, _, err) = Run("train", "--dry-run", option, value, "--out", Path.Combine(TestData.TempDir(), "x.safetensors"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void Unknown_options_and_values_are_usage_errors()
    {
        Assert.Equal(ExitCodes.Usage, Run("train", "--activation", "softplus").Code);
        Assert.Equal(ExitCodes.Usage, Run("train", "--no-such-option").Code);
        Assert.Equal(ExitCodes.Usage, Run("train", "--iterations", "many").Code);
    }

    [Fact]
    public void A_diverging_run_exits_with_its_own_code_and_leaves_the_old_model()
    {
        string model = Path.Combine(TestData.TempDir(), "keep.safetensors");
        File.Copy(DryModel.Value, model);
        byte[] before = File.ReadAllBytes(model);
        var (code, _, err) = Run("train", "--dry-run", "--alpha", "1000", "--out", model);
        Assert.Equal(ExitCodes.Diverged, code);
        Assert.Contains("diverged", err);
        Assert.Equal(before, File.ReadAllBytes(model));
    }

    [Fact]
    public void Mini_batch_options_train_a_deeper_network_with_one_line_per_epoch()
    {
        string dir = TestData.TempDir();
        string model = Path.Combine(dir, "deep.safetensors");
        var (code, output, err) = Run("train", "--dry-run", "--layers", "784,32,16,10", "--optimizer", "adam", "--batch-size", "64", "--epochs", "1", "--dropout", "0.2", "--seed", "1", "--out", model);
        Assert.True(code == 0, err);
        Assert.Contains("network 784-32-16-10, relu, softmax, dropout 0.2 · init He", output);
        Assert.Contains("optimizer adam · α = 0.001", output);
        Assert.Contains("epoch   1  loss", output);
        Assert.Contains("  α 0.001", output);
        Assert.Contains("engine layers (general; packed: it runs", output);

        // evaluate, predict and explain work for any architecture.
        Assert.Equal(0, Run("evaluate", "--model", model).Code);
        Assert.Equal(0, Run("predict", "--model", model, "--index", "3").Code);
        var (explainCode, explained, explainErr) = Run("explain", "--model", model);
        Assert.True(explainCode == 0, explainErr);
        Assert.Contains("Z3 = W3·A2 + b3", explained);

        // --init-from continues from the saved weights; another architecture is a clear error.
        var (initCode, _, initErr) = Run("train", "--dry-run", "--init-from", model, "--optimizer", "adam", "--batch-size", "64", "--epochs", "1", "--dropout", "0.2", "--out", Path.Combine(dir, "next.safetensors"));
        Assert.True(initCode == 0, initErr);
        var (badCode, _, badErr) = Run("train", "--dry-run", "--init-from", model, "--layers", "784,20,10", "--out", Path.Combine(dir, "x.safetensors"));
        Assert.Equal(ExitCodes.BadInput, badCode);
        Assert.Contains("architectures differ", badErr);
    }

    [Theory]
    [InlineData("--layers", "784,abc,10", "not a positive whole number")]
    [InlineData("--layers", "784", "at least the input and output")]
    [InlineData("--layers", "conv8k3,pool,pool,pool,pool,pool,10", "item 6 'pool': cannot pool 8×1×1 maps")]
    [InlineData("--augment", "rotate", "use one of none, affine, elastic")]
    [InlineData("--dropout", "1", "--dropout")]
    [InlineData("--momentum", "1.5", "--momentum")]
    [InlineData("--gamma", "0", "--gamma")]
    [InlineData("--patience", "-1", "--patience")]
    [InlineData("--batch-size", "-1", "--batch-size")]
    public void Out_of_range_general_options_give_clear_errors(string option, string value, string expected)
    {
        var (code, _, err) = Run("train", "--dry-run", option, value, "--out", Path.Combine(TestData.TempDir(), "x.safetensors"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void Help_shows_the_general_options_with_defaults()
    {
        var (_, output, _) = Run("train", "--help");
        foreach (string option in new[] { "--layers", "--optimizer", "--lr", "--batch-size", "--epochs", "--dropout", "--momentum", "--weight-decay", "--schedule", "--patience", "--init", "--init-from", "--loss" })
        {
            Assert.Contains(option, output);
        }
        Assert.Contains("[default: 784,10,10]", output);
        Assert.Contains("[default: sgd]", output);
    }
}
