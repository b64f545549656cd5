using ScratchNet.Bench;
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Tensors;

/// <summary>The yardstick of `scratchnet bench`: the measured multiply-add peak and a network's training arithmetic.</summary>
public class FmaPeakTests
{
    [Fact]
    public void The_peak_is_a_positive_rate_on_one_and_on_two_threads()
    {
        // A rate, not a speed claim: the figures belong to the bench, not to a timed test.
        double one = FmaPeak.Measure(1, TimeSpan.FromMilliseconds(20));
        double two = FmaPeak.Measure(2, TimeSpan.FromMilliseconds(20));
        Assert.True(double.IsFinite(one) && one > 0, $"one thread: {one}");
        Assert.True(double.IsFinite(two) && two > 0, $"two threads: {two}");
        Assert.Throws<ArgumentOutOfRangeException>(() => FmaPeak.Measure(0, TimeSpan.FromMilliseconds(1)));
    }

    [Fact]
    public void Training_arithmetic_counts_forward_weight_and_input_gradients_but_the_first_input_gradient()
    {
        // conv 1→4, 3×3 same on 28×28: 784·4·9 = 28,224 multiply-adds; dense 3,136 → 10: 31,360.
        // Training: forward + weight gradients (both layers) + the dense layer's input gradient, two FLOPs each.
        Network network = Network.Create(Architecture.Parse("conv4k3,relu,10", 784));
        double expected = 2.0 * ((3 * (28_224 + 31_360)) - 28_224);
        Assert.Equal(expected, BenchmarkSuite.TrainingFlopsPerImage(network));
    }
}
