// Convolutional networks end to end on real MNIST: a short run reaches what it reliably reaches, the
// same seed gives the same bits on 1, 2 and 3 threads, a model with batch norm saves and loads with its
// running statistics, and a broken one is refused.
using ScratchNet.Layers;
using ScratchNet.Serialization;
using ScratchNet.Tensors;
using ScratchNet.Training;

namespace ScratchNet.Tests.Training;

[Collection(ThreadCountTests.Name)]
public class ConvTrainingTests
{
    private static TrainingOptions Short => Presets.Get("cnn-fast") with { TrainLimit = 12000, DevSize = 500, Epochs = 2 };

    [Fact]
    public void A_short_cnn_fast_run_on_real_MNIST_reaches_96_percent()
    {
        TrainingResult result = new Trainer(Short).Train(TestData.MnistSets.Train, TestData.MnistSets.Test.Take(2000));
        Assert.Equal("layers", result.Record.Engine);
        Assert.True(result.Record.TestAccuracy >= 0.96, $"test accuracy {result.Record.TestAccuracy:P2} after two epochs on 12,000 images (97.00 % when written)");
    }

    [Fact]
    public void The_same_seed_gives_the_same_bits_on_one_two_and_three_threads()
    {
        TrainingOptions options = Short with { TrainLimit = 1000, Seed = 4 };
        byte[] Run(int threads) => ModelFile.Serialize(new Trainer(options with { Threads = threads }).Train(TestData.MnistSets.Train, null).Network);
        byte[] one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(3));
    }

    [Fact]
    public void A_model_with_batch_norm_round_trips_with_its_running_statistics()
    {
        TrainingResult result = new Trainer(Short with { TrainLimit = 500 }).Train(TestData.MnistSets.Train, null);
        Network trained = result.Network;
        BatchNorm bn = trained.Layers.OfType<BatchNorm>().First();
        Assert.NotEqual(0f, bn.RunningMean.Value[0]);
        string path = Path.Combine(TestData.TempDir(), "cnn.safetensors");
        ModelFile.Save(path, trained);
        Network loaded = ModelFile.Load(path).Network;
        Assert.Equal(trained.Shape, loaded.Shape);
        Assert.Equal(bn.RunningVar.Value, loaded.Layers.OfType<BatchNorm>().First().RunningVar.Value);
        Matrix X = TestData.MnistSets.Test.Take(50).ToMatrix();
        Assert.Equal(TestData.Predict(trained, X).Span.ToArray(), TestData.Predict(loaded, X).Span.ToArray());
    }

    [Fact]
    public void A_negative_running_variance_is_refused()
    {
        Network network = Network.Create(Architecture.Parse("conv4k3,bn,relu,pool,10", 784));
        network.Layers.OfType<BatchNorm>().First().RunningVar.Value[2] = -1f;
        string path = Path.Combine(TestData.TempDir(), "bad.safetensors");
        ModelFile.Save(path, network);
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains("running_var", e.Message);
        Assert.Contains("negative variance", e.Message);
    }
}
