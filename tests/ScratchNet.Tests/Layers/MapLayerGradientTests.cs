// Central differences in double against the analytic backward passes of Conv2D, MaxPool2D, BatchNorm
// (training mode, per channel and per unit) and GlobalAveragePool. Each layer's forward pass is written
// again here in double, from its definition; the loss is L = Σ R ∘ layer(X) for a random R, so the
// analytic dX is Backward(R) and the parameter gradients (of the mean loss) are (1/m)·∂L/∂θ.
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Layers;

public class MapLayerGradientTests
{
    private const double H = 1e-3;

    /// <summary>Inputs whose values are all different by at least 4/count (no pooling window changes its winner under ±H).</summary>
    private static Matrix DistinctInputs(int m, int size, ulong seed)
    {
        var rng = new Rng(seed);
        int count = m * size;
        int[] order = [.. Enumerable.Range(0, count)];
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)(rng.NextUInt64() % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        var X = new Matrix(m, size);
        for (int i = 0; i < count; i++)
        {
            X.Span[i] = (float)((((order[i] + 0.5) / count) * 4) - 2);
        }
        return X;
    }

    private static double Loss(double[] output, Matrix R)
    {
        double sum = 0;
        for (int i = 0; i < output.Length; i++)
        {
            sum += output[i] * R.Span[i];
        }
        return sum;
    }

    /// <summary>Checks dX against central differences of L(X) = Σ R ∘ f(X), and each listed parameter against those of L(θ), scaled by 1/m.</summary>
    private static void Check(ILayer layer, Matrix X, Func<double[], double[]> forward, params (Parameter P, Action<double[]> Set)[] parameters)
    {
        int m = X.Rows;
        Matrix output = layer.Forward(X, training: true);
        Matrix R = TestData.Random(m, output.Cols, new Rng(99));
        Matrix dX = layer.Backward(R, computeInputGradient: true)!.Clone();
        double[] x = [.. X.Span.ToArray().Select(v => (double)v)];
        for (int i = 0; i < x.Length; i++)
        {
            double keep = x[i];
            x[i] = keep + H;
            double plus = Loss(forward(x), R);
            x[i] = keep - H;
            double minus = Loss(forward(x), R);
            x[i] = keep;
            AssertNear((plus - minus) / (2 * H), dX.Span[i], $"dX[{i}]");
        }
        foreach (var (p, set) in parameters)
        {
            double[] theta = [.. p.Value.Select(v => (double)v)];
            for (int i = 0; i < theta.Length; i++)
            {
                double keep = theta[i];
                theta[i] = keep + H;
                set(theta);
                double plus = Loss(forward(x), R);
                theta[i] = keep - H;
                set(theta);
                double minus = Loss(forward(x), R);
                theta[i] = keep;
                set(theta);
                AssertNear((plus - minus) / (2 * H) / m, p.Gradient[i], $"d{p.Name}[{i}]");
            }
        }
    }

    private static void AssertNear(double numeric, float analytic, string what) =>
        Assert.True(Math.Abs(numeric - analytic) <= 1e-3 + (2e-3 * Math.Abs(numeric)), $"{what}: central difference {numeric:G6}, backward pass {analytic:G6}");

    [Theory]
    [InlineData(2, 2, 5, 4, 3, 3, 1, 1)]   // same padding, non-square map
    [InlineData(2, 3, 6, 5, 2, 3, 2, 1)]   // stride 2
    [InlineData(3, 1, 4, 4, 2, 2, 1, 0)]   // even kernel, valid
    [InlineData(2, 2, 3, 3, 3, 1, 1, 0)]   // 1×1
    public void Conv2D_matches_central_differences(int m, int C, int Hh, int W, int O, int K, int stride, int padding)
    {
        var conv = new Conv2D(new MapShape(C, Hh, W), O, K, stride, padding);
        conv.Initialize(Initializer.Xavier, new Rng(5));
        TestData.Random(1, O, new Rng(6)).Span.CopyTo(conv.b.Value);
        ConvShape s = conv.Shape;
        double[] w = [.. conv.W.Value.Select(v => (double)v)], b = [.. conv.b.Value.Select(v => (double)v)];
        double[] Forward(double[] x)
        {
            var z = new double[m * s.Output.Size];
            for (int n = 0; n < m; n++)
            {
                for (int o = 0; o < O; o++)
                {
                    for (int y = 0; y < s.OutHeight; y++)
                    {
                        for (int xo = 0; xo < s.OutWidth; xo++)
                        {
                            double sum = b[o];
                            for (int c = 0; c < C; c++)
                            {
                                for (int i = 0; i < K; i++)
                                {
                                    for (int j = 0; j < K; j++)
                                    {
                                        int u = (y * stride) + i - padding, v = (xo * stride) + j - padding;
                                        if (u >= 0 && v >= 0 && u < Hh && v < W)
                                        {
                                            sum += w[(((((o * C) + c) * K) + i) * K) + j] * x[(n * s.Input.Size) + s.Input.Index(c, u, v)];
                                        }
                                    }
                                }
                            }
                            z[(n * s.Output.Size) + s.Output.Index(o, y, xo)] = sum;
                        }
                    }
                }
            }
            return z;
        }
        Check(conv, DistinctInputs(m, s.Input.Size, 7), Forward, (conv.W, t => w = t), (conv.b, t => b = t));
    }

    [Fact]
    public void MaxPool2D_matches_central_differences()
    {
        var map = new MapShape(2, 5, 4);   // an odd height: the last row is dropped
        var pool = new MaxPool2D(map);
        MapShape o = pool.Output;
        double[] Forward(double[] x)
        {
            var y = new double[3 * o.Size];
            for (int n = 0; n < 3; n++)
            {
                for (int c = 0; c < o.Channels; c++)
                {
                    for (int yo = 0; yo < o.Height; yo++)
                    {
                        for (int xo = 0; xo < o.Width; xo++)
                        {
                            double max = double.NegativeInfinity;
                            for (int i = 0; i < 2; i++)
                            {
                                for (int j = 0; j < 2; j++)
                                {
                                    max = Math.Max(max, x[(n * map.Size) + map.Index(c, (2 * yo) + i, (2 * xo) + j)]);
                                }
                            }
                            y[(n * o.Size) + o.Index(c, yo, xo)] = max;
                        }
                    }
                }
            }
            return y;
        }
        Check(pool, DistinctInputs(3, map.Size, 8), Forward);
    }

    [Fact]
    public void MaxPool2D_gives_a_tie_to_the_first_value_in_reading_order()
    {
        var pool = new MaxPool2D(new MapShape(1, 2, 2));
        // Windows: all equal → (0,0); top-right and bottom-left tie above the rest → top-right.
        foreach (var (values, winner) in new[] { (new float[] { 3, 3, 3, 3 }, 0), (new float[] { 1, 5, 5, 2 }, 1), (new float[] { 1, 2, 5, 5 }, 2) })
        {
            var X = new Matrix(1, 4, values);
            Assert.Equal(values.Max(), pool.Forward(X, training: true)[0, 0]);
            Matrix dX = pool.Backward(new Matrix(1, 1, [1f]), computeInputGradient: true)!;
            Assert.Equal(Enumerable.Range(0, 4).Select(i => i == winner ? 1f : 0f), dX.Span.ToArray());
        }
    }

    [Theory]
    [InlineData(3, 2, 3, 3)]   // per channel, after a convolution
    [InlineData(5, 4, 1, 1)]   // per unit, after a dense layer
    public void BatchNorm_in_training_matches_central_differences(int m, int C, int Hh, int W)
    {
        var map = new MapShape(C, Hh, W);
        var bn = new BatchNorm(map);
        TestData.Random(1, C, new Rng(9)).Span.CopyTo(bn.gamma.Value);
        TestData.Random(1, C, new Rng(10)).Span.CopyTo(bn.beta.Value);
        double[] g = [.. bn.gamma.Value.Select(v => (double)v)], bt = [.. bn.beta.Value.Select(v => (double)v)];
        double[] Forward(double[] x)
        {
            var y = new double[x.Length];
            int N = m * map.Plane;
            for (int c = 0; c < C; c++)
            {
                IEnumerable<int> at = Enumerable.Range(0, m).SelectMany(n => Enumerable.Range((n * map.Size) + (c * map.Plane), map.Plane));
                double mean = at.Sum(i => x[i]) / N;
                double variance = at.Sum(i => (x[i] - mean) * (x[i] - mean)) / N;
                foreach (int i in at)
                {
                    y[i] = (g[c] * (x[i] - mean) / Math.Sqrt(variance + bn.Epsilon)) + bt[c];
                }
            }
            return y;
        }
        Check(bn, DistinctInputs(m, map.Size, 11), Forward, (bn.gamma, t => g = t), (bn.beta, t => bt = t));
    }

    [Fact]
    public void BatchNorm_keeps_running_statistics_and_uses_them_at_evaluation()
    {
        var bn = new BatchNorm(new MapShape(1, 1, 2), momentum: 0.5f);
        // One channel of 2×… values 1, 3 and 5, 7: μ = 4, biased σ² = 5, unbiased 20/3.
        var X = new Matrix(2, 2, [1, 3, 5, 7]);
        bn.Forward(X, training: true);
        Assert.Equal(0.5f * 4, bn.RunningMean.Value[0], 5);
        Assert.Equal((0.5f * 1) + (0.5f * 20f / 3), bn.RunningVar.Value[0], 5);
        Matrix y = bn.Forward(new Matrix(1, 2, [2, 2]), training: false);
        float expected = (2 - 2f) / MathF.Sqrt(bn.RunningVar.Value[0] + bn.Epsilon);
        Assert.Equal(expected, y[0, 0], 5);
    }

    [Fact]
    public void GlobalAveragePool_matches_central_differences()
    {
        var map = new MapShape(3, 3, 2);
        var gap = new GlobalAveragePool(map);
        double[] Forward(double[] x)
        {
            var y = new double[2 * map.Channels];
            for (int n = 0; n < 2; n++)
            {
                for (int c = 0; c < map.Channels; c++)
                {
                    y[(n * map.Channels) + c] = Enumerable.Range(0, map.Plane).Average(p => x[(n * map.Size) + (c * map.Plane) + p]);
                }
            }
            return y;
        }
        Check(gap, DistinctInputs(2, map.Size, 12), Forward);
    }
}
