// Shared fixtures: the shipped MNIST loaded once, and small random matrices and networks.
using ScratchNet.Data;
using ScratchNet.Engines.Layers;
using ScratchNet.Layers;
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
        using Workers.ThreadScope scope = Workers.Use(threads);
        Assert.Equal(threads, Workers.Threads);
        return run();
    }

    /// <summary>A [m, classes] for X [m, in] given as floats, from the layer engine (the reference).</summary>
    public static Matrix Predict(Network network, Matrix X)
    {
        var A = new Matrix(X.Rows, network.OutputSize);
        new LayerEngine(network).Predict(X, A);
        return A;
    }

    /// <summary>The fraction of rows of A whose largest value is at the label.</summary>
    public static double Accuracy(Matrix A, ReadOnlySpan<byte> labels) => A.Rows == 0 ? 0 : (double)ArgMax.Correct(A, labels) / A.Rows;

    /// <summary>Every element of <paramref name="actual"/> within a relative <paramref name="tolerance"/> of <paramref name="expected"/>.</summary>
    public static void AssertClose(Matrix expected, Matrix actual, float tolerance = 1e-4f)
    {
        Assert.Equal(expected.Rows, actual.Rows);
        Assert.Equal(expected.Cols, actual.Cols);
        for (int i = 0; i < expected.Rows; i++)
        {
            for (int j = 0; j < expected.Cols; j++)
            {
                float e = expected[i, j], a = actual[i, j];
                Assert.True(MathF.Abs(e - a) <= tolerance * (1 + MathF.Abs(e)), $"[{i},{j}] expected {e}, got {a}");
            }
        }
    }

    /// <summary>Every gradient an engine left (<paramref name="actual"/>, per parameter) within float rounding of the layer engine's, now in <paramref name="network"/>.</summary>
    public static void AssertGradientsClose(Network network, List<float[]> actual, string engine)
    {
        for (int p = 0; p < network.Parameters.Count; p++)
        {
            float[] expected = network.Parameters[p].Gradient;
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(MathF.Abs(expected[i] - actual[p][i]) <= 1e-5f + (1e-3f * MathF.Abs(expected[i])),
                    $"parameter {p} element {i}: layer engine {expected[i]}, {engine} {actual[p][i]}");
            }
        }
    }

    /// <summary>`scratchnet serve` started as a process (through <paramref name="shell"/> when given, e.g. to set a ulimit) and the URL it printed.</summary>
    public static async Task<(System.Diagnostics.Process Server, Uri Url)> StartServe(string model, string? shell = null)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "ScratchNet.Cli.dll");
        var start = shell is null
            ? new System.Diagnostics.ProcessStartInfo("dotnet", [cli, "serve", "--model", model, "--port", "0"])
            : new System.Diagnostics.ProcessStartInfo("/bin/bash", ["-c", $"{shell} && exec dotnet '{cli}' serve --model '{model}' --port 0"]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var server = System.Diagnostics.Process.Start(start)!;
        // "Serving M (784-10-10) on http://127.0.0.1:PORT — open it in a browser; Ctrl-C stops."
        string? line = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (line is null || !line.Contains(" on http://", StringComparison.Ordinal))
        {
            server.Kill(entireProcessTree: true);
            Assert.Fail($"serve printed: {line} {await server.StandardError.ReadToEndAsync()}");
        }
        return (server, new Uri(line.Split(" on ")[1].Split(' ')[0]));
    }

    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "scratchnet-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
