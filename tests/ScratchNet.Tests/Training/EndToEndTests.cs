// The seed preset end to end on the real MNIST: the notes' recipe reaches exactly the figures the
// README prints for seed 0, on the engine the chooser picks here.
using ScratchNet.Engines;
using ScratchNet.Inference;

namespace ScratchNet.Tests.Training;

public class EndToEndTests
{
    [Fact]
    public void The_seed_preset_gives_the_READMEs_seed_0_row_85_40_test_85_80_dev_84_96_train()
    {
        var result = SeedPresetBitsTests.Seed0(EngineKind.Auto);
        Assert.Equal(59_000, result.Record.TrainSize);
        Assert.Equal(1_000, result.Record.DevSize);
        Assert.Equal(85.40, SeedPresetBitsTests.Percent(result.Record.TestAccuracy));
        Assert.Equal(85.80, SeedPresetBitsTests.Percent(result.Record.DevAccuracy));
        Assert.Equal(84.96, SeedPresetBitsTests.Percent(result.Record.TrainAccuracy));
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
