// Training: determinism (same seed, same bits, whatever the thread count), the dev split, the
// divergence guard, and options out of range.
using ScratchNet.Serialization;
using ScratchNet.Training;

namespace ScratchNet.Tests.Training;

[Collection(ScratchNet.Tests.Training.ThreadCountTests.Name)]
public class TrainerTests
{
    private static TrainingOptions Small(int threads = 2) => Presets.Get("seed") with
    {
        Iterations = 15, TrainLimit = 3000, DevSize = 300, Seed = 7, Threads = threads, LogEvery = 5,
    };

    private static byte[] TrainBytes(TrainingOptions options)
    {
        TrainingResult result = new Trainer(options).Train(TestData.MnistSets.Train, null);
        return ModelFile.Serialize(result.Network);
    }

    [Fact]
    public void The_same_seed_gives_a_bit_identical_model()
    {
        Assert.Equal(TrainBytes(Small()), TrainBytes(Small()));
        Assert.NotEqual(TrainBytes(Small()), TrainBytes(Small() with { Seed = 8 }));
    }

    [Fact]
    public void One_thread_and_two_threads_give_the_same_bits()
    {
        Assert.Equal(TrainBytes(Small(threads: 1)), TrainBytes(Small(threads: 2)));
        var miniBatch = Small() with { BatchSize = 100, Epochs = 1 };
        Assert.Equal(TrainBytes(miniBatch with { Threads = 1 }), TrainBytes(miniBatch with { Threads = 2 }));
    }

    [Fact]
    public void History_is_logged_every_interval_and_training_lowers_the_loss()
    {
        var options = Small() with { Iterations = 30 };
        var logged = new List<HistoryPoint>();
        var trainer = new Trainer(options) { OnLog = logged.Add };
        TrainingResult result = trainer.Train(TestData.MnistSets.Train, TestData.MnistSets.Test.Take(500));
        Assert.Equal([0, 5, 10, 15, 20, 25], logged.Select(p => p.Step));
        Assert.True(logged[^1].Loss < logged[0].Loss);
        Assert.Equal(3000, result.Record.TrainSize);
        Assert.Equal(300, result.Record.DevSize);
        Assert.NotNull(result.Record.TestAccuracy);
        Assert.Contains("\"history\"", result.Record.ToJson());
    }

    [Fact]
    public void The_dev_split_is_disjoint_from_training_and_seeded()
    {
        var all = TestData.MnistSets.Train.Take(500);
        var options = Presets.Get("seed") with { DevSize = 100 };
        var (train, dev) = Trainer.Split(all, options, new ScratchNet.Tensors.Rng(1));
        var (train2, dev2) = Trainer.Split(all, options, new ScratchNet.Tensors.Rng(1));
        Assert.Equal(400, train.Count);
        Assert.Equal(100, dev.Count);
        Assert.Equal(dev.ToMatrix().Span.ToArray(), dev2.ToMatrix().Span.ToArray());
        Assert.Equal(train.Labels, train2.Labels);
    }

    [Fact]
    public void A_diverging_run_stops_with_a_clear_message()
    {
        var options = Small() with { Alpha = 1000f, Iterations = 200 };
        var ex = Assert.Throws<TrainingDivergedException>(() => new Trainer(options).Train(TestData.MnistSets.Train, null));
        Assert.Contains("smaller learning rate", ex.Message);
    }

    [Theory]
    [InlineData(-1f, 10, 0)]
    [InlineData(float.NaN, 10, 0)]
    [InlineData(0.1f, -1, 0)]
    [InlineData(0.1f, 10, -5)]
    public void Options_out_of_range_are_rejected(float alpha, int iterations, int devSize)
    {
        var options = Presets.Get("seed") with { Alpha = alpha, Iterations = iterations, DevSize = devSize };
        Assert.Throws<ArgumentException>(() => new Trainer(options));
    }

    [Fact]
    public void A_network_whose_input_does_not_fit_the_images_is_rejected()
    {
        var options = Small() with { Layers = [100, 10, 10] };
        var ex = Assert.Throws<ArgumentException>(() => new Trainer(options).Train(TestData.MnistSets.Train, null));
        Assert.Contains("784 pixels per image", ex.Message);
    }

    [Fact]
    public void Cancelling_stops_training()
    {
        using var cancel = new CancellationTokenSource();
        var trainer = new Trainer(Small() with { Iterations = 1000 }) { OnLog = p => { if (p.Step >= 5) cancel.Cancel(); } };
        TrainingResult result = trainer.Train(TestData.MnistSets.Train, null, cancel.Token);
        Assert.True(result.Cancelled);
        Assert.True(result.Record.History.Count <= 2);
    }
}
