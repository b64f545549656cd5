// Checkpoints: 4 epochs straight and 2 + resume 2 give bit-identical models (mini-batches with
// Adam and dropout, and full batch); a training process killed at 20 random moments, during saves
// too, always leaves a checkpoint that loads.
using System.Diagnostics;
using ScratchNet.Serialization;
using ScratchNet.Tests.Data;
using ScratchNet.Training;

namespace ScratchNet.Tests.Robustness;

public class CheckpointTests
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

    [Fact]
    public void A_process_killed_at_20_random_moments_always_leaves_a_checkpoint_that_loads()
    {
        // A small data set so that epochs, and so saves, follow each other every few milliseconds.
        string dir = TestData.TempDir();
        File.WriteAllBytes(Path.Combine(dir, ScratchNet.Data.MnistData.TrainImages), IdxReaderTests.Images(600, 28, 28));
        File.WriteAllBytes(Path.Combine(dir, ScratchNet.Data.MnistData.TrainLabels), IdxReaderTests.Labels(600));
        File.WriteAllBytes(Path.Combine(dir, ScratchNet.Data.MnistData.TestImages), IdxReaderTests.Images(10, 28, 28));
        File.WriteAllBytes(Path.Combine(dir, ScratchNet.Data.MnistData.TestLabels), IdxReaderTests.Labels(10));
        string checkpoint = Path.Combine(dir, "run.checkpoint.safetensors");
        string cli = Path.Combine(AppContext.BaseDirectory, "ScratchNet.Cli.dll");
        var rng = new ScratchNet.Tensors.Rng(8);
        int loadedAfterKill = 0;
        for (int kill = 0; kill < 20; kill++)
        {
            var start = new ProcessStartInfo("dotnet", [cli, "train", "--data", dir, "--layers", "784,64,10", "--batch-size", "50", "--epochs", "100000",
                "--dev-size", "50", "--checkpoint-every", "1", "--checkpoint", checkpoint, "--out", Path.Combine(dir, "m.safetensors"), "--plain"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var clock = Stopwatch.StartNew();
            while (!File.Exists(checkpoint) && clock.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
            {
                Thread.Sleep(5);
            }
            Thread.Sleep(rng.NextInt(200));
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.True(File.Exists(checkpoint), "no checkpoint was written");
            var (_, _, state) = Checkpoint.Load(checkpoint);
            Assert.True(state.Completed >= 1);
            loadedAfterKill++;
        }
        Assert.Equal(20, loadedAfterKill);
    }
}
