// A 2-2-2 network on two examples, one full step, every value worked out by hand:
//   X = [x1 x2] = [[1, 2], [2, 1]] (columns), labels 0 and 1,
//   W1 = [[0.5, −0.5], [0.25, 0.5]], b1 = [0, 0.1], W2 = [[1, −1], [0.5, 0.5]], b2 = [0, 0], α = 0.1.
using ScratchNet.Layers;
using ScratchNet.Losses;
using ScratchNet.Optimizers;
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Layers;

public class HandComputedStepTests
{
    private const int Precision = 5;

    [Fact]
    public void One_step_matches_values_worked_out_by_hand()
    {
        var dense1 = new Dense(2, 2);
        var relu = new ReLU(2);
        var dense2 = new Dense(2, 2);
        var net = new Network([dense1, relu, dense2], new SoftmaxCrossEntropy());
        float[] w1 = [0.5f, -0.5f, 0.25f, 0.5f], b1 = [0f, 0.1f], w2 = [1f, -1f, 0.5f, 0.5f], b2 = [0f, 0f];
        w1.CopyTo(dense1.W.Value, 0);
        b1.CopyTo(dense1.b.Value, 0);
        w2.CopyTo(dense2.W.Value, 0);
        b2.CopyTo(dense2.b.Value, 0);
        var X = new Matrix(2, 2, [1f, 2f, 2f, 1f]); // rows are the examples x1 = (1, 2), x2 = (2, 1)
        byte[] Y = [0, 1];

        // FP
        Matrix Z1 = dense1.Forward(X, true);
        AssertRows(Z1, [-0.5, 1.35], [0.5, 1.1]);          // Z1 = W1·X + b1
        Matrix A1 = relu.Forward(Z1, true);
        AssertRows(A1, [0, 1.35], [0.5, 1.1]);              // A1 = ReLU(Z1)
        Matrix Z2 = dense2.Forward(A1, true);
        AssertRows(Z2, [-1.35, 0.675], [-0.6, 0.8]);        // Z2 = W2·A1 + b2
        var A2 = new Matrix(2, 2);
        double loss = net.Loss.Forward(Z2, Y, A2);
        AssertRows(A2, [0.1166030, 0.8833970], [0.1978161, 0.8021839]); // softmax
        Assert.Equal(1.1846990, loss, Precision);

        // BP
        var dZ2 = new Matrix(2, 2);
        net.Loss.Backward(Z2, A2, Y, dZ2);
        AssertRows(dZ2, [-0.8833970, 0.8833970], [0.1978161, -0.1978161]); // dZ2 = A2 − Y
        net.Backward(dZ2);
        AssertValues(dense2.W.Gradient, 0.0494540, -0.4874941, -0.0494540, 0.4874941); // dW2 = (1/m)·dZ2·A1ᵀ
        AssertValues(dense2.b.Gradient, -0.3427905, 0.3427905);                         // db2 per unit
        AssertValues(dense1.W.Gradient, 0.0989081, 0.0494540, 0.3658236, 1.1767335);    // dW1 = (1/m)·dZ1·Xᵀ
        AssertValues(dense1.b.Gradient, 0.0494540, 0.5141857);                          // db1 per unit

        // UP
        new Sgd().Step(net.Parameters, 0.1f);
        AssertValues(dense1.W.Value, 0.4901092, -0.5049454, 0.2134176, 0.3823267);
        AssertValues(dense1.b.Value, -0.0049454, 0.0485814);
        AssertValues(dense2.W.Value, 0.9950546, -0.9512506, 0.5049454, 0.4512506);
        AssertValues(dense2.b.Value, 0.0342790, -0.0342790);
    }

    private static void AssertRows(Matrix m, params double[][] rows)
    {
        for (int i = 0; i < rows.Length; i++)
        {
            for (int j = 0; j < rows[i].Length; j++)
            {
                Assert.Equal(rows[i][j], m[i, j], Precision);
            }
        }
    }

    private static void AssertValues(float[] actual, params double[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], Precision);
        }
    }
}
