// The fused engine for two-layer networks against the layer engine: same loss, accuracy and
// gradients; the same probabilities; and the same bits with one and two threads.
using System.Runtime.Intrinsics;
using ScratchNet.Engines;
using ScratchNet.Engines.Fused;
using ScratchNet.Layers;
using ScratchNet.Tensors;
using ScratchNet.Training;

namespace ScratchNet.Tests.Engines;

[Collection(ScratchNet.Tests.Training.ThreadCountTests.Name)]
public class FusedEngineTests
{
    [Theory]
    [InlineData("relu", 10, 10, 5000)]
    [InlineData("tanh", 17, 10, 3000)]
    [InlineData("sigmoid", 3, 7, 700)]
    [InlineData("leaky_relu", 32, 10, 4100)]
    public void Fused_step_equals_the_layer_by_layer_step(string activation, int hidden, int classes, int m)
    {
        var data = TestData.MnistSets.Train.Take(m);
        byte[] Y = data.Labels.Select(l => (byte)(l % classes)).ToArray();
        var network = Network.CreateDense([784, hidden, classes], activation);
        network.Initialize(Initializer.SeedUniform, new Rng(3));

        if (!Vector256.IsHardwareAccelerated)
        {
            return;   // no 256-bit vectors: the chooser never gives this machine the fused engine
        }
        (double fusedLoss, int fusedCorrect) = new FusedEngine(network).Run(data.Sparse, Y);
        var fusedGradients = network.Parameters.Select(p => p.Gradient.ToArray()).ToList();

        Matrix Z = network.Forward(data.ToMatrix(), training: true);
        var A = new Matrix(m, classes);
        var dZ = new Matrix(m, classes);
        double loss = network.Loss.Forward(Z, Y, A);
        int correct = ArgMax.Correct(A, Y);
        network.Loss.Backward(Z, A, Y, dZ);
        network.Backward(dZ);

        Assert.Equal(loss, fusedLoss, 4);
        Assert.Equal(correct, fusedCorrect);
        TestData.AssertGradientsClose(network, fusedGradients, "fused");
    }

    [Fact]
    public void Fused_step_gives_the_same_bits_with_one_and_two_threads()
    {
        var data = TestData.MnistSets.Train.Take(9000);
        var network = Network.CreateDense([784, 10, 10], "relu");
        network.Initialize(Initializer.SeedUniform, new Rng(4));
        if (!Vector256.IsHardwareAccelerated)
        {
            return;
        }
        List<float[]> Run(int threads) => TestData.WithThreads(threads, () =>
        {
            new FusedEngine(network).Step(data);
            return network.Parameters.Select(p => p.Gradient.ToArray()).ToList();
        });
        var one = Run(1);
        var two = Run(2);
        for (int p = 0; p < one.Count; p++)
        {
            Assert.Equal(one[p], two[p]);
        }
    }

    [Fact]
    public void Training_on_the_fused_and_the_layer_engine_reaches_the_same_accuracy()
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            return;
        }
        TrainingOptions options = Presets.Get("seed") with { Iterations = 60, TrainLimit = 8000, DevSize = 500 };
        TrainingResult fused = new Trainer(options with { Engine = EngineKind.Fused }).Train(TestData.MnistSets.Train, null);
        TrainingResult layered = new Trainer(options with { Engine = EngineKind.Layers }).Train(TestData.MnistSets.Train, null);
        Assert.Equal("fused", fused.Record.Engine);
        Assert.Equal("layers", layered.Record.Engine);
        Assert.True(Math.Abs(layered.Record.TrainAccuracy - fused.Record.TrainAccuracy) <= 0.001, $"fused {fused.Record.TrainAccuracy:P2}, layers {layered.Record.TrainAccuracy:P2}");
        Assert.Equal(layered.Record.History[^1].Loss, fused.Record.History[^1].Loss, 3);
    }

    [Theory]
    [InlineData("relu", 10)]
    [InlineData("sigmoid", 17)]
    public void Fused_inference_equals_the_layer_by_layer_probabilities(string activation, int hidden)
    {
        var test = TestData.MnistSets.Test.Take(3000);
        var network = Network.CreateDense([784, hidden, 10], activation);
        network.Initialize(Initializer.He, new Rng(9));
        if (!Vector256.IsHardwareAccelerated)
        {
            return;
        }
        var fast = new Matrix(test.Count, 10);
        new FusedEngine(network).Predict(test, fast);
        float[] expected = TestData.Predict(network, test.ToMatrix()).Span.ToArray();
        float[] actual = fast.Span.ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(expected[i] - actual[i]) < 1e-5f, $"element {i}: {expected[i]} vs {actual[i]}");
        }
    }
}
