// Reference vs fast (dense and sparse) kernels at the seed network's shapes: a batch of 2,048
// MNIST-like images (81 % zeros, 784 pixels) and 10 hidden units.
// Run: dotnet run -c Release --project bench/ScratchNet.Benchmarks -- --filter '*' --job short
using BenchmarkDotNet.Attributes;
using ScratchNet.Tensors;

namespace ScratchNet.Benchmarks;

[MemoryDiagnoser]
public class KernelBenchmarks
{
    private Matrix X = null!, W = null!, Z = null!, dZ = null!, dW = null!, dX = null!;
    private float[] b = null!, Wt = null!;
    private SparseBatch Xs = null!;

    [Params(2048)]
    public int M { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(1);
        X = new Matrix(M, 784);
        Span<float> x = X.Span;
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = rng.NextFloat() < 0.19f ? rng.NextFloat() : 0f;
        }
        W = new Matrix(10, 784);
        foreach (ref float w in W.Span)
        {
            w = rng.NextFloat(-0.5f, 0.5f);
        }
        b = new float[10];
        Z = new Matrix(M, 10);
        dZ = new Matrix(M, 10);
        foreach (ref float d in dZ.Span)
        {
            d = rng.NextFloat(-1f, 1f);
        }
        dW = new Matrix(10, 784);
        dX = new Matrix(M, 784);
        Xs = SparseBatch.FromDense(X);
        Wt = new float[784 * SparseKernels.Padded(10)];
        SparseKernels.TransposePadded(W, Wt);
    }

    [Benchmark(Baseline = true)]
    public void Forward_reference() => ReferenceKernels.MatMulABt(X, W, b, Z);

    [Benchmark]
    public void Forward_fast() => Kernels.MatMulABt(X, W, b, Z);

    [Benchmark]
    public void Forward_sparse() => SparseKernels.MatMulABt(Xs, Wt, b, Z);

    [Benchmark]
    public void WeightGradient_reference() => ReferenceKernels.MatMulAtB(dZ, X, 1f / M, dW);

    [Benchmark]
    public void WeightGradient_fast() => Kernels.MatMulAtB(dZ, X, 1f / M, dW);

    [Benchmark]
    public void WeightGradient_sparse() => SparseKernels.MatMulAtB(dZ, Xs, 1f / M, dW);

    [Benchmark]
    public void InputGradient_reference() => ReferenceKernels.MatMulAB(dZ, W, dX);

    [Benchmark]
    public void InputGradient_fast() => Kernels.MatMulAB(dZ, W, dX);
}
