// The presets beyond the seed, trained briefly on the real MNIST against what a short run reliably
// reaches (the full runs and their figures are in the README and docs/benchmarks.md), plus early
// stopping keeping the best model.
using ScratchNet.Training;

namespace ScratchNet.Tests.Training;

public class PresetTests
{
    [Fact]
    public void Seed_tuned_for_three_epochs_reaches_91_percent()
    {
        TrainingOptions options = Presets.Get("seed-tuned") with { Epochs = 3 };
        TrainingResult result = new Trainer(options).Train(TestData.MnistSets.Train, TestData.MnistSets.Test);
        Assert.True(result.Record.TestAccuracy >= 0.91, $"test accuracy {result.Record.TestAccuracy:P2}");
    }

    [Fact]
    public void Mlp_for_one_epoch_reaches_96_percent()
    {
        TrainingOptions options = Presets.Get("mlp") with { Epochs = 1 };
        TrainingResult result = new Trainer(options).Train(TestData.MnistSets.Train, TestData.MnistSets.Test);
        Assert.True(result.Record.TestAccuracy >= 0.96, $"test accuracy {result.Record.TestAccuracy:P2}");
    }

    [Fact]
    public void Early_stopping_keeps_the_best_epoch()
    {
        // A learning rate far too high makes dev accuracy fall after the first epochs.
        TrainingOptions options = Presets.Get("seed-tuned") with { Epochs = 8, Patience = 2, Alpha = 0.05f, Schedule = "constant", TrainLimit = 5000 };
        var history = new List<HistoryPoint>();
        TrainingResult result = new Trainer(options) { OnLog = history.Add }.Train(TestData.MnistSets.Train, null);
        Assert.NotNull(result.Record.BestEpoch);
        double best = history.Max(p => p.DevAccuracy ?? 0);
        Assert.Equal(best, history.Single(p => p.Epoch == result.Record.BestEpoch).DevAccuracy);
        Assert.Equal(best, result.Record.DevAccuracy!.Value, 10);
        if (history.Count < 8)
        {
            Assert.True(history.Count - result.Record.BestEpoch >= 2);
        }
    }
}
