// Layer behaviour beyond gradients: dropout at evaluation and in training, save → load of every
// layer type, and small problems learned to 100 % training accuracy.
using ScratchNet.Layers;
using ScratchNet.Optimizers;
using ScratchNet.Serialization;
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Layers;

public class LayerTests
{
    [Fact]
    public void Dropout_is_the_identity_at_evaluation()
    {
        var withDropout = Network.CreateDense([20, 30, 5], "relu", dropout: 0.5f);
        withDropout.Initialize(Initializer.He, new Rng(1));
        var without = Network.CreateDense([20, 30, 5], "relu");
        without.CopyParametersFrom(StripDropout(withDropout));
        Matrix X = TestData.Random(8, 20, new Rng(2));
        float[] a = TestData.Predict(withDropout, X).Span.ToArray();
        float[] b = TestData.Predict(withDropout, X).Span.ToArray();
        float[] c = TestData.Predict(without, X).Span.ToArray();
        Assert.Equal(a, b);
        Assert.Equal(a, c);
    }

    private static Network StripDropout(Network net)
    {
        var copy = Network.CreateDense([20, 30, 5], "relu");
        for (int i = 0; i < copy.Parameters.Count; i++)
        {
            net.Parameters[i].Value.CopyTo(copy.Parameters[i].Value, 0);
        }
        return copy;
    }

    [Fact]
    public void Dropout_in_training_drops_about_p_and_scales_the_rest()
    {
        var dropout = new Dropout(1000, 0.25f);
        dropout.Seed(3);
        var Z = new Matrix(10, 1000);
        Z.Span.Fill(2f);
        Matrix A = dropout.Forward(Z, training: true);
        int zeros = 0;
        foreach (float v in A.Span)
        {
            Assert.True(v == 0f || Math.Abs(v - (2f / 0.75f)) < 1e-6f);
            zeros += v == 0f ? 1 : 0;
        }
        Assert.InRange(zeros / 10_000.0, 0.23, 0.27);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(3, 1f));
    }

    [Fact]
    public void Save_then_load_of_every_layer_type_is_bit_identical()
    {
        var layers = new List<ILayer>
        {
            new Dense(6, 5), new ReLU(5), new Dropout(5, 0.1f),
            new Dense(5, 4), new LeakyReLU(4, 0.05f),
            new Dense(4, 4), new Tanh(4),
            new Dense(4, 3), new Sigmoid(3),
            new Dense(3, 3),
        };
        foreach (var loss in new ScratchNet.Losses.ILoss[] { new ScratchNet.Losses.SoftmaxCrossEntropy(), new ScratchNet.Losses.MeanSquaredError() })
        {
            var net = new Network(layers, loss);
            net.Initialize(Initializer.Xavier, new Rng(4));
            byte[] bytes = ModelFile.Serialize(net);
            Model loaded = ModelFile.Deserialize(bytes, "all-layers");
            Assert.Equal(bytes, ModelFile.Serialize(loaded.Network));
            Assert.Equal(net.Layers.Select(l => l.Spec), loaded.Network.Layers.Select(l => l.Spec));
            Assert.Equal(loss.Name, loaded.Network.Loss.Name);
            Matrix X = TestData.Random(7, 6, new Rng(5));
            Assert.Equal(TestData.Predict(net, X).Span.ToArray(), TestData.Predict(loaded.Network, X).Span.ToArray());
        }
    }

    private static double TrainToFit(Network net, Matrix X, byte[] Y, Adam optimizer, float lr, int steps)
    {
        var A = new Matrix(X.Rows, net.OutputSize);
        var dZ = new Matrix(X.Rows, net.OutputSize);
        for (int step = 0; step < steps; step++)
        {
            Matrix Z = net.Forward(X, training: true);
            net.Loss.Forward(Z, Y, A);
            net.Loss.Backward(Z, A, Y, dZ);
            net.Backward(dZ);
            optimizer.Step(net.Parameters, lr);
        }
        return TestData.Accuracy(TestData.Predict(net, X), Y);
    }

    [Fact]
    public void Xor_is_learned_to_100_percent()
    {
        var X = new Matrix(4, 2, [0, 0, 0, 1, 1, 0, 1, 1]);
        byte[] Y = [0, 1, 1, 0];
        var net = Network.CreateDense([2, 8, 2], "tanh");
        net.Initialize(Initializer.Xavier, new Rng(1));
        Assert.Equal(1.0, TrainToFit(net, X, Y, new Adam(), 0.05f, 500));
    }

    [Fact]
    public void Two_interleaved_spirals_are_learned_to_100_percent()
    {
        const int perClass = 100;
        var X = new Matrix(2 * perClass, 2);
        var Y = new byte[2 * perClass];
        for (int c = 0; c < 2; c++)
        {
            for (int i = 0; i < perClass; i++)
            {
                double r = (i + 5) / (double)(perClass + 5);
                double t = (3.5 * Math.PI * i / perClass) + (c * Math.PI);
                int row = (c * perClass) + i;
                X[row, 0] = (float)(r * Math.Cos(t));
                X[row, 1] = (float)(r * Math.Sin(t));
                Y[row] = (byte)c;
            }
        }
        var net = Network.CreateDense([2, 64, 64, 2], "relu");
        net.Initialize(Initializer.He, new Rng(2));
        Assert.Equal(1.0, TrainToFit(net, X, Y, new Adam(), 0.01f, 3000));
    }
}
