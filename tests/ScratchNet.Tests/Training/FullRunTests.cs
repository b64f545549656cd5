// The README's preset rows for convolutional networks, trained in full: opt-in (SCRATCHNET_FULL=1),
// because a full run takes longer than the default suite should. The default suite trains the same
// preset briefly (ConvTrainingTests) and asserts what that reliably reaches.
using ScratchNet.Training;
using Xunit.Abstractions;

namespace ScratchNet.Tests.Training;

/// <summary>A test that runs only when SCRATCHNET_FULL=1 (the opt-in full-length training category).</summary>
public sealed class FullRunFactAttribute : FactAttribute
{
    public FullRunFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("SCRATCHNET_FULL") != "1")
        {
            Skip = "Opt-in full-length training: set SCRATCHNET_FULL=1 to run it (about 15 minutes: cnn-fast and cnn in full).";
        }
    }
}

[Collection(ThreadCountTests.Name)]
public class FullRunTests(ITestOutputHelper output)
{
    [FullRunFact]
    public void The_cnn_fast_preset_reaches_99_percent_on_the_test_set()
    {
        TrainingResult result = new Trainer(Presets.Get("cnn-fast")).Train(TestData.MnistSets.Train, TestData.MnistSets.Test);
        output.WriteLine($"cnn-fast: test {result.Record.TestAccuracy:P2} after {result.Record.TrainSeconds:0.0} s of training");
        Assert.True(result.Record.TestAccuracy >= 0.99, $"test accuracy {result.Record.TestAccuracy:P2}");
    }

    [FullRunFact]
    public void The_cnn_preset_reaches_99_5_percent_on_the_test_set_within_20_minutes()
    {
        TrainingResult result = new Trainer(Presets.Get("cnn")).Train(TestData.MnistSets.Train, TestData.MnistSets.Test);
        output.WriteLine($"cnn: test {result.Record.TestAccuracy:P2} after {result.Record.TrainSeconds:0.0} s of training");
        Assert.True(result.Record.TestAccuracy >= 0.995, $"test accuracy {result.Record.TestAccuracy:P2}");
        Assert.True(result.Record.TrainSeconds <= 20 * 60, $"{result.Record.TrainSeconds:0} s of training");
    }
}
