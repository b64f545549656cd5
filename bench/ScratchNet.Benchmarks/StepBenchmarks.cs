// One full-batch forward and backward step of the seed network (784-10-10, ReLU, softmax) over
// the first 8,192 shipped MNIST training images, on each engine the chooser can give it: layers
// (layer by layer, sparse first layer), fused (float sparse rows, AVX2) and packed (dense middle
// pixels in lanes, the rest as two-byte entries; AVX-512). An engine this machine lacks is skipped.
// Run: dotnet run -c Release --project bench/ScratchNet.Benchmarks -- --filter '*StepBenchmarks*' --job short
using BenchmarkDotNet.Attributes;
using ScratchNet.Data;
using ScratchNet.Engines;
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Benchmarks;

[MemoryDiagnoser]
public class StepBenchmarks
{
    private Dataset data = null!;
    private ITrainingEngine? engine;

    [Params(8192)]
    public int M { get; set; }

    [Params(EngineKind.Layers, EngineKind.Fused, EngineKind.Packed)]
    public EngineKind Engine { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        data = MnistData.LoadShipped().Train.Take(M);
        Network network = Network.CreateDense([784, 10, 10], "relu");
        network.Initialize(Initializer.SeedUniform, new Rng(0));
        try
        {
            engine = EngineChooser.CreateTraining(network, EngineChooser.Choose(network, Workload.FullBatchTraining, Engine));
            engine.Step(data);   // builds the engine's form of X once, as training does
        }
        catch (ArgumentException)
        {
            engine = null;       // not on this machine
        }
    }

    [Benchmark]
    public void Step() => engine?.Step(data);
}
