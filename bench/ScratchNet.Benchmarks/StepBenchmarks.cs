// One full-batch forward and backward step of the seed network (784-10-10, ReLU, softmax) over
// the first 8,192 shipped MNIST training images, three ways: layer by layer with the dense kernels,
// the fused step over float sparse rows, and the packed step (dense middle pixels in lanes, the
// rest as two-byte entries; AVX-512).
// Run: dotnet run -c Release --project bench/ScratchNet.Benchmarks -- --filter '*StepBenchmarks*' --job short
using BenchmarkDotNet.Attributes;
using ScratchNet.Data;
using ScratchNet.Layers;
using ScratchNet.Tensors;
using ScratchNet.Training;

namespace ScratchNet.Benchmarks;

[MemoryDiagnoser]
public class StepBenchmarks
{
    private Network network = null!;
    private Dataset data = null!;
    private Matrix X = null!, A = null!, dZ = null!;
    private FusedTwoLayerStep fused = null!;
    private PackedTwoLayerStep? packed;

    [Params(8192)]
    public int M { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        data = MnistData.LoadShipped().Train.Take(M);
        network = Network.CreateDense([784, 10, 10], "relu");
        network.Initialize(Initializer.SeedUniform, new Rng(0));
        X = data.ToMatrix();
        A = new Matrix(M, 10);
        dZ = new Matrix(M, 10);
        fused = FusedTwoLayerStep.TryCreate(network)!;
        packed = PackedTwoLayerStep.TryCreate(network);
        _ = data.Sparse;
        _ = data.Packed;
    }

    [Benchmark(Baseline = true)]
    public void Layer_by_layer()
    {
        Matrix Z = network.Forward(X, training: true);
        network.Loss.Forward(Z, data.Labels, A);
        network.Loss.Backward(Z, A, data.Labels, dZ);
        network.Backward(dZ);
    }

    [Benchmark]
    public void Fused_sparse_floats() => fused.Run(data.Sparse, data.Labels);

    [Benchmark]
    public void Packed_bytes()
    {
        if (packed is not null)
        {
            packed.Run(data.Packed, data.Labels);
        }
    }
}
