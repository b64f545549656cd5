// README: "Each seed gives the same bits on every run, with any --threads." Every engine, on data
// large enough that it runs at least two pieces per thread (17,000 images: 8 pieces of 2,048), gives
// the same model with 1, 2, 3 and 4 threads; and once on the whole training set (28 pieces). The
// thread count is scoped to each run (checked from inside the run), and these tests run alone.
using ScratchNet.Engines;
using ScratchNet.Serialization;
using ScratchNet.Tensors;
using ScratchNet.Training;

namespace ScratchNet.Tests.Training;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadCountTests
{
    /// <summary>Tests that compare thread counts run in this collection, one at a time.</summary>
    public const string Name = "Thread counts";
}

[Collection(ThreadCountTests.Name)]
public class ThreadDeterminismTests
{
    public static TheoryData<EngineKind, int> Engines()
    {
        var data = new TheoryData<EngineKind, int> { { EngineKind.Layers, 0 }, { EngineKind.Layers, 4096 }, { EngineKind.Fused, 0 } };
        if (Simd.Has128)
        {
            data.Add(EngineKind.Packed, 0);
        }
        return data;
    }

    private static byte[] Train(TrainingOptions options)
    {
        int threadsSeen = 0;
        var trainer = new Trainer(options) { OnStep = _ => threadsSeen = Workers.Threads };
        TrainingResult result = trainer.Train(TestData.MnistSets.Train, null);
        Assert.Equal(options.Threads, threadsSeen);   // the run computed with the thread count it was given
        Assert.Equal(EngineChoice.Name(options.Engine), result.Record.Engine);
        return ModelFile.Serialize(result.Network);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void One_to_four_threads_give_the_same_bits_with_at_least_two_pieces_per_thread(EngineKind engine, int batchSize)
    {
        const int images = 17_000;
        Assert.True(Pieces.Count(batchSize == 0 ? images : batchSize) >= (batchSize == 0 ? 8 : 2));
        TrainingOptions options = Presets.Get("seed") with
        {
            Engine = engine, TrainLimit = images, DevSize = 500, Iterations = 4, LogEvery = 2, Seed = 3,
            BatchSize = batchSize, Epochs = 1,
        };
        byte[] one = Train(options with { Threads = 1 });
        for (int threads = 2; threads <= 4; threads++)
        {
            Assert.Equal(one, Train(options with { Threads = threads }));
        }
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void The_whole_training_set_gives_the_same_bits_on_one_and_three_threads(EngineKind engine, int batchSize)
    {
        if (batchSize > 0)
        {
            return;   // mini-batches are covered above: their pieces do not grow with the data set
        }
        Assert.Equal(28, Pieces.Count(59_000));
        TrainingOptions options = Presets.Get("seed") with { Engine = engine, Iterations = 2, LogEvery = 1, Seed = 5 };
        Assert.Equal(Train(options with { Threads = 1 }), Train(options with { Threads = 3 }));
    }
}
