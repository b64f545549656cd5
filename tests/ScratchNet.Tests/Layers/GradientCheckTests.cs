// Central differences in double against the analytic backward pass, for every parameter of small
// networks and 20+ random points of the 784-10-10 seed network, with ReLU, tanh and sigmoid.
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Layers;

public class GradientCheckTests
{
    /// <summary>The mean cross-entropy loss of the network's parameters, recomputed in double from scratch.</summary>
    private static double LossInDouble(Network net, Matrix X, byte[] Y, out List<bool[]> reluPattern)
    {
        reluPattern = [];
        int m = X.Rows;
        double total = 0;
        var layers = net.Layers;
        for (int i = 0; i < m; i++)
        {
            double[] a = new double[X.Cols];
            for (int k = 0; k < X.Cols; k++)
            {
                a[k] = X[i, k];
            }
            foreach (ILayer layer in layers)
            {
                if (layer is Dense d)
                {
                    double[] z = new double[d.Outputs];
                    for (int j = 0; j < d.Outputs; j++)
                    {
                        double s = d.b.Value[j];
                        for (int k = 0; k < d.Inputs; k++)
                        {
                            s += (double)d.W.Value[(j * d.Inputs) + k] * a[k];
                        }
                        z[j] = s;
                    }
                    a = z;
                }
                else if (layer is Dropout dropout)
                {
                    // The same mask the analytic pass drew.
                    if (dropout.Mask is { } mask)
                    {
                        for (int j = 0; j < a.Length; j++)
                        {
                            a[j] *= mask[i, j];
                        }
                    }
                }
                else if (layer is Activation g)
                {
                    var pattern = new bool[a.Length];
                    for (int j = 0; j < a.Length; j++)
                    {
                        pattern[j] = a[j] > 0;
                        a[j] = g switch
                        {
                            ReLU => Math.Max(0, a[j]),
                            Tanh => Math.Tanh(a[j]),
                            Sigmoid => 1 / (1 + Math.Exp(-a[j])),
                            LeakyReLU l => a[j] > 0 ? a[j] : l.Alpha * a[j],
                            _ => throw new InvalidOperationException(),
                        };
                    }
                    reluPattern.Add(pattern);
                }
            }
            if (net.Loss is ScratchNet.Losses.MeanSquaredError)
            {
                for (int j = 0; j < a.Length; j++)
                {
                    double s = 1 / (1 + Math.Exp(-a[j])) - (Y[i] == j ? 1 : 0);
                    total += 0.5 * s * s;
                }
            }
            else
            {
                double max = a.Max();
                double sum = a.Sum(v => Math.Exp(v - max));
                total += max + Math.Log(sum) - a[Y[i]];
            }
        }
        return total / m;
    }

    /// <summary>
    /// Checks analytic gradients against central differences at <paramref name="pointsPerParameter"/> points of each
    /// parameter (all of them when it has fewer), or at <paramref name="chosen"/>[p] where given; at least
    /// <paramref name="minimumPoints"/> points must be checked (kinks skipped), <paramref name="minimumNonZero"/> of them
    /// with a gradient that is not zero (a zero gradient on both sides proves little).
    /// </summary>
    private static void Check(Network net, Matrix X, byte[] Y, int pointsPerParameter, Rng rng, double tolerance = 2e-3, int minimumPoints = 20, int minimumNonZero = 0, IReadOnlyList<int>?[]? chosen = null)
    {
        // Analytic gradients from the float network.
        Matrix Z = net.Forward(X, training: true);
        var A = new Matrix(Z.Rows, Z.Cols);
        var dZ = new Matrix(Z.Rows, Z.Cols);
        net.Loss.Forward(Z, Y, A);
        net.Loss.Backward(Z, A, Y, dZ);
        net.Backward(dZ);
        var analytic = net.Parameters.Select(p => p.Gradient.ToArray()).ToList();

        int checkedPoints = 0, nonZero = 0;
        const float h = 1e-3f;
        for (int pi = 0; pi < net.Parameters.Count; pi++)
        {
            Parameter p = net.Parameters[pi];
            IEnumerable<int> indices = chosen?[pi] ?? (pointsPerParameter >= p.Count ? Enumerable.Range(0, p.Count) : Enumerable.Range(0, pointsPerParameter).Select(_ => rng.NextInt(p.Count)));
            foreach (int i in indices)
            {
                float original = p.Value[i];
                p.Value[i] = original + h;
                double plus = LossInDouble(net, X, Y, out var patternPlus);
                p.Value[i] = original - h;
                double minus = LossInDouble(net, X, Y, out var patternMinus);
                p.Value[i] = original;
                bool kink = net.Layers.Any(l => l is ReLU or LeakyReLU) && !patternPlus.Zip(patternMinus).All(t => t.First.SequenceEqual(t.Second));
                if (kink)
                {
                    continue; // a ReLU changed sides between θ−h and θ+h: the derivative is undefined there
                }
                // The perturbation is applied to the float parameter, so divide by the actual step.
                double step = (double)(original + h) - (double)(original - h);
                double numeric = (plus - minus) / step;
                double a = analytic[pi][i];
                Assert.True(Math.Abs(numeric - a) <= tolerance * Math.Max(1e-2, Math.Abs(numeric) + Math.Abs(a)),
                    $"{p.Name}[{i}] of parameter {pi}: analytic {a}, central difference {numeric}");
                checkedPoints++;
                nonZero += Math.Abs(a) > 1e-7 && Math.Abs(numeric) > 1e-7 ? 1 : 0;
            }
        }
        Assert.True(checkedPoints >= minimumPoints, $"only {checkedPoints} points checked");
        Assert.True(nonZero >= minimumNonZero, $"only {nonZero} of {checkedPoints} checked points have a non-zero gradient");
    }

    [Theory]
    [InlineData("relu")]
    [InlineData("tanh")]
    [InlineData("sigmoid")]
    [InlineData("leaky_relu")]
    public void Every_parameter_of_a_small_network_matches_central_differences(string activation)
    {
        var rng = new Rng(11);
        Network net = Network.CreateDense([7, 5, 4], activation);
        net.Initialize(Initializer.SeedUniform, rng);
        Matrix X = TestData.Random(3, 7, rng);
        byte[] Y = [0, 3, 1];
        Check(net, X, Y, int.MaxValue, rng);
    }

    [Theory]
    [InlineData("relu")]
    [InlineData("tanh")]
    [InlineData("sigmoid")]
    public void Random_points_of_the_seed_network_match_central_differences(string activation)
    {
        var rng = new Rng(12);
        Network net = Network.CreateDense([784, 10, 10], activation);
        net.Initialize(Initializer.SeedUniform, rng);
        var mnist = TestData.MnistSets.Train;
        Matrix X = new(0, 784);
        mnist.FillBatch(0, 8, X);
        byte[] Y = mnist.Labels[..8];
        // W1's points on pixels inked in these images (elsewhere dW1 is exactly 0 on both sides); the rest at random.
        int[] inked = [.. Enumerable.Range(0, 784).Where(k => Enumerable.Range(0, X.Rows).Any(i => X[i, k] > 0))];
        var chosen = new IReadOnlyList<int>?[net.Parameters.Count];
        chosen[0] = [.. Enumerable.Range(0, 24).Select(_ => (rng.NextInt(10) * 784) + inked[rng.NextInt(inked.Length)])];
        Check(net, X, Y, 8, rng, minimumPoints: 30, minimumNonZero: 20, chosen: chosen);
    }

    public static TheoryData<string, int, int, string> AwkwardSizes()
    {
        var data = new TheoryData<string, int, int, string>();
        foreach (string activation in new[] { "relu", "leaky_relu", "tanh", "sigmoid" })
        {
            foreach (int units in new[] { 1, 3, 17 })
            {
                foreach (int batch in new[] { 1, 5 })
                {
                    data.Add(activation, units, batch, units == 3 ? "mse" : "cross_entropy");
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AwkwardSizes))]
    public void Every_layer_activation_and_loss_matches_at_awkward_sizes(string activation, int units, int batch, string loss)
    {
        var rng = new Rng((ulong)(units * 31 + batch));
        Network net = Network.CreateDense([4, units, units, 3], activation, loss: loss);
        net.Initialize(Initializer.Xavier, rng);
        if (units == 1)
        {
            // One unit per layer: biases of +1 keep it on the active side of a ReLU, so there is something to check.
            foreach (Dense hidden in net.DenseLayers.SkipLast(1))
            {
                Array.Fill(hidden.b.Value, 1f);
            }
        }
        Matrix X = TestData.Random(batch, 4, rng);
        byte[] Y = Enumerable.Range(0, batch).Select(i => (byte)(i % 3)).ToArray();
        Check(net, X, Y, int.MaxValue, rng, minimumPoints: 5, minimumNonZero: 3);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void Dropout_backward_matches_central_differences_for_its_mask(int batch)
    {
        var rng = new Rng(17);
        Network net = Network.CreateDense([6, 17, 3], "tanh", dropout: 0.3f);
        net.Initialize(Initializer.Xavier, rng);
        Matrix X = TestData.Random(batch, 6, rng);
        byte[] Y = Enumerable.Range(0, batch).Select(i => (byte)(i % 3)).ToArray();
        Check(net, X, Y, int.MaxValue, rng);
    }

    [Fact]
    public void A_deeper_network_matches_central_differences()
    {
        var rng = new Rng(13);
        Network net = Network.CreateDense([6, 17, 3, 5], "tanh");
        net.Initialize(Initializer.Xavier, rng);
        Matrix X = TestData.Random(5, 6, rng);
        byte[] Y = [4, 0, 2, 2, 1];
        Check(net, X, Y, int.MaxValue, rng);
    }
}
