// The seed preset end to end on the real MNIST: the notes' recipe must reach 85 % test accuracy.
using ScratchNet.Training;
using ScratchNet.Inference;

namespace ScratchNet.Tests.Training;

public class EndToEndTests
{
    [Fact]
    public void The_seed_preset_reaches_85_percent_on_the_test_set()
    {
        TrainingOptions options = Presets.Get("seed");
        TrainingResult result = new Trainer(options).Train(TestData.MnistSets.Train, TestData.MnistSets.Test);
        Assert.Equal(59_000, result.Record.TrainSize);
        Assert.True(result.Record.TestAccuracy >= 0.85, $"test accuracy {result.Record.TestAccuracy:P2}");
        Assert.True(result.Record.DevAccuracy >= 0.83, $"dev accuracy {result.Record.DevAccuracy:P2}");
    }

    [Fact]
    public void Evaluation_confusion_matrix_accounts_for_every_test_image()
    {
        var network = ScratchNet.Layers.Network.CreateDense([784, 10, 10], "relu");
        network.Initialize(ScratchNet.Layers.Initializer.SeedUniform, new ScratchNet.Tensors.Rng(1));
        Evaluation e = Evaluator.Evaluate(network, TestData.MnistSets.Test);
        int total = 0, diagonal = 0;
        for (int t = 0; t < 10; t++)
        {
            for (int p = 0; p < 10; p++)
            {
                total += e.Confusion[t, p];
            }
            diagonal += e.Confusion[t, t];
        }
        Assert.Equal(10_000, total);
        Assert.Equal(e.Accuracy, diagonal / 10_000.0, 10);
    }
}
