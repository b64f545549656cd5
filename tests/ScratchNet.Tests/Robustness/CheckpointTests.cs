// Checkpoints: 4 epochs straight and 2 + resume 2 give bit-identical models (mini-batches with
// Adam and dropout, and full batch); a training process killed at 20 and more moments over its whole
// life — start-up, between writes, inside checkpoint writes and inside the final model's write —
// always leaves a checkpoint and a model file that load.
using System.Diagnostics;
using ScratchNet.Serialization;
using ScratchNet.Tests.Data;
using ScratchNet.Training;
using Xunit.Abstractions;

namespace ScratchNet.Tests.Robustness;

public class CheckpointTests(ITestOutputHelper output)
{
    private static byte[] Bits(TrainingResult result) => ModelFile.Serialize(result.Network);

    private static void ResumeGivesTheSameBits(TrainingOptions options, int checkpointAt)
    {
        var data = TestData.MnistSets.Train;
        TrainingResult straightRun = new Trainer(options).Train(data, null);
        byte[] straight = Bits(straightRun);

        string path = Path.Combine(TestData.TempDir(), "run.checkpoint.safetensors");
        var first = new Trainer(options with { }) { CheckpointEvery = checkpointAt };
        bool saved = false;
        first.OnCheckpoint = (network, state) =>
        {
            if (!saved)
            {
                Checkpoint.Save(path, network, options, state);
                saved = true;
            }
        };
        first.Train(data, null);
        Assert.True(saved);

        var (network, savedOptions, state) = Checkpoint.Load(path);
        Assert.Equal(checkpointAt, state.Completed);
        TrainingResult resumed = new Trainer(savedOptions) { ResumeFrom = (network, state) }.Train(data, null);
        Assert.Equal(straight, Bits(resumed));
        // The history goes on where it stopped: the same points, the same losses.
        Assert.Equal(straightRun.Record.History.Select(p => (p.Step, p.Epoch, p.Loss, p.DevAccuracy)), resumed.Record.History.Select(p => (p.Step, p.Epoch, p.Loss, p.DevAccuracy)));
    }

    [Fact]
    public void Mini_batches_with_adam_and_dropout_resume_bit_identically()
    {
        ResumeGivesTheSameBits(Presets.Get("mlp") with { Layers = [784, 32, 16, 10], Epochs = 4, TrainLimit = 3000, DevSize = 300, BatchSize = 100 }, 2);
    }

    [Fact]
    public void Momentum_with_early_stopping_resumes_bit_identically()
    {
        ResumeGivesTheSameBits(Presets.Get("seed-tuned") with { Optimizer = "nesterov", Alpha = 0.05f, Epochs = 4, TrainLimit = 3000, DevSize = 300, Patience = 3 }, 2);
    }

    [Fact]
    public void A_convolutional_network_with_batch_norm_and_augmentation_resumes_bit_identically()
    {
        ResumeGivesTheSameBits(Presets.Get("cnn-fast") with { Epochs = 3, TrainLimit = 1500, DevSize = 300, Patience = 2, Augment = "elastic" }, 1);
    }

    [Fact]
    public void Full_batch_resumes_bit_identically()
    {
        ResumeGivesTheSameBits(Presets.Get("seed") with { Iterations = 40, TrainLimit = 3000, DevSize = 300 }, 20);
    }

    [Fact]
    public void A_model_file_is_not_a_checkpoint()
    {
        string path = Path.Combine(TestData.TempDir(), "model.safetensors");
        var network = ScratchNet.Layers.Network.CreateDense([784, 10, 10], "relu");
        ModelFile.Save(path, network);
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.Contains("not a checkpoint", ex.Message);
    }

    /// <summary>Where in its life a training process was when it was killed.</summary>
    private enum Phase { StartUp, BetweenWrites, InCheckpointWrite, InModelWrite }

    /// <summary>Whether a write of <paramref name="target"/> is in progress: AtomicFile's temporary file (".NAME.PID.GUID.tmp" beside it) exists now.</summary>
    private static bool WriteInProgress(string target) =>
        Directory.EnumerateFiles(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.*.tmp").Any();

    private static Process StartTraining(string dir, string checkpoint, string model, int epochs, int checkpointEvery)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "ScratchNet.Cli.dll");
        var start = new ProcessStartInfo("dotnet", [cli, "train", "--data", dir, "--layers", "784,64,10", "--batch-size", "50", "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--dev-size", "50", "--checkpoint-every", checkpointEvery.ToString(System.Globalization.CultureInfo.InvariantCulture), "--checkpoint", checkpoint, "--out", model, "--plain"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Spins until <paramref name="until"/> holds, the process ends, or 30 s pass (a hang guard); true when it held.</summary>
    private static bool Wait(Process process, Func<bool> until)
    {
        var clock = Stopwatch.StartNew();
        while (!until())
        {
            if (process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                return false;
            }
            Thread.SpinWait(200);
        }
        return true;
    }

    [Fact]
    public void A_training_process_killed_over_its_whole_life_and_inside_its_writes_always_leaves_files_that_load()
    {
        // README: "A test kills a training process at 20 random moments, during saves too, and the newest
        // checkpoint always loads." Each run starts with no checkpoint, so every kill lands in that run's life.
        // A small data set so that epochs follow each other every few milliseconds.
        string dir = TestData.TempDir();
        File.WriteAllBytes(Path.Combine(dir, ScratchNet.Data.MnistData.TrainImages), IdxReaderTests.Images(600, 28, 28));
        File.WriteAllBytes(Path.Combine(dir, ScratchNet.Data.MnistData.TrainLabels), IdxReaderTests.Labels(600));
        File.WriteAllBytes(Path.Combine(dir, ScratchNet.Data.MnistData.TestImages), IdxReaderTests.Images(10, 28, 28));
        File.WriteAllBytes(Path.Combine(dir, ScratchNet.Data.MnistData.TestLabels), IdxReaderTests.Labels(10));
        string checkpoint = Path.Combine(dir, "run.checkpoint.safetensors");
        string model = Path.Combine(dir, "m.safetensors");
        // The model a user already had: a kill during the new model's write must leave it, or the new one, whole.
        byte[] previousModel = ModelFile.Serialize(ScratchNet.Layers.Network.CreateDense([784, 64, 10], "relu"));
        var rng = new ScratchNet.Tensors.Rng(8);
        var kills = new Dictionary<Phase, int>();
        int runs = 0;
        for (int run = 0; run < 30 && (runs < 24 || kills.GetValueOrDefault(Phase.InModelWrite) == 0); run++, runs++)
        {
            foreach (string stale in Directory.EnumerateFiles(dir, ".*.tmp").Append(checkpoint))
            {
                File.Delete(stale);
            }
            File.WriteAllBytes(model, previousModel);
            int kind = run < 24 ? run % 4 : 3;   // start-up, mid-run, inside a checkpoint write, inside the model write
            // Checkpoints every 4 epochs; every 50 for the mid-run kills, so that most moments fall between writes.
            using Process process = StartTraining(dir, checkpoint, model, epochs: kind == 3 ? 30 : 100_000, checkpointEvery: kind == 1 ? 50 : 4);
            switch (kind)
            {
                case 0:   // anywhere in the first 0.4 s: the runtime starting, the data loading, the first epochs
                    Thread.Sleep(rng.NextInt(400));
                    break;
                case 1:   // mid-run, between two writes: a checkpoint is there and no write is in progress
                    Wait(process, () => File.Exists(checkpoint) && !WriteInProgress(checkpoint));
                    Thread.SpinWait(rng.NextInt(20_000));
                    break;
                case 2:   // as soon as a checkpoint write is seen in progress
                    Wait(process, () => File.Exists(checkpoint) && !WriteInProgress(checkpoint));
                    Wait(process, () => WriteInProgress(checkpoint));
                    break;
                default:  // as soon as the final model's write is seen in progress
                    Wait(process, () => WriteInProgress(model));
                    break;
            }
            bool checkpointWrite = WriteInProgress(checkpoint), modelWrite = WriteInProgress(model);
            bool hadCheckpoint = File.Exists(checkpoint);
            bool running = !process.HasExited;
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Phase phase = modelWrite ? Phase.InModelWrite : checkpointWrite ? Phase.InCheckpointWrite : hadCheckpoint ? Phase.BetweenWrites : Phase.StartUp;
            if (running)
            {
                kills[phase] = kills.GetValueOrDefault(phase) + 1;
            }
            // Whatever the moment: the newest checkpoint (if one was written) and the model file load.
            if (File.Exists(checkpoint))
            {
                var (_, _, state) = Checkpoint.Load(checkpoint);
                Assert.True(state.Completed >= 1);
            }
            Assert.Equal(784, ModelFile.Load(model).Network.InputSize);
        }
        output.WriteLine($"{runs} runs, kills by phase: " + string.Join(", ", Enum.GetValues<Phase>().Select(p => $"{p} {kills.GetValueOrDefault(p)}")));
        Assert.True(kills.Values.Sum() >= 20, $"only {kills.Values.Sum()} kills landed while training ran");
        Assert.True(kills.GetValueOrDefault(Phase.StartUp) >= 3, "too few kills during start-up");
        Assert.True(kills.GetValueOrDefault(Phase.BetweenWrites) >= 3, "too few kills between writes");
        Assert.True(kills.GetValueOrDefault(Phase.InCheckpointWrite) >= 2, "too few kills inside a checkpoint write");
        Assert.True(kills.GetValueOrDefault(Phase.InModelWrite) >= 1, "no kill inside the model write");
    }
}
