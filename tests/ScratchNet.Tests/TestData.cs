// Shared fixtures: the shipped MNIST loaded once, and small random matrices and networks.
using ScratchNet.Data;
using ScratchNet.Tensors;

namespace ScratchNet.Tests;

public static class TestData
{
    private static readonly Lazy<TrainTest> Mnist = new(MnistData.LoadShipped);

    /// <summary>The shipped MNIST (checksums verified), loaded once per test run.</summary>
    public static TrainTest MnistSets => Mnist.Value;

    public static Matrix Random(int rows, int cols, Rng rng, float scale = 1f, float zeroFraction = 0f)
    {
        var m = new Matrix(rows, cols);
        Span<float> s = m.Span;
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = rng.NextFloat() < zeroFraction ? 0f : rng.NextFloat(-scale, scale);
        }
        return m;
    }

    /// <summary>Runs <paramref name="run"/> with the kernels limited to <paramref name="threads"/> threads.</summary>
    public static T WithThreads<T>(int threads, Func<T> run)
    {
        int saved = Workers.Threads;
        try
        {
            Workers.Threads = threads;
            return run();
        }
        finally
        {
            Workers.Threads = saved;
        }
    }

    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "scratchnet-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
