// Accuracy, mean loss and confusion matrix of a network on a labelled set, in batches.
using ScratchNet.Data;
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Training;

/// <summary>Results on one data set. Confusion[t, p] counts images of true class t predicted as p.</summary>
public sealed record Evaluation(double Accuracy, double Loss, int[,] Confusion, int[] Predictions)
{
    public int Count => Predictions.Length;
}

public static class Evaluator
{
    public const int BatchSize = 10_000;

    public static Evaluation Evaluate(Network network, Dataset data)
    {
        int classes = network.OutputSize;
        var confusion = new int[classes, classes];
        var predictions = new int[data.Count];
        var X = new InputBuffer(network, data.Features);
        var A = new Matrix(0, classes);
        double lossSum = 0;
        int correct = 0;
        for (int start = 0; start < data.Count; start += BatchSize)
        {
            int n = Math.Min(BatchSize, data.Count - start);
            X.Fill(data, start, n);
            ReadOnlySpan<byte> labels = data.Labels.AsSpan(start, n);
            Matrix Z = X.Forward(network, training: false);
            A.Reshape(n, classes);
            lossSum += network.Loss.Forward(Z, labels, A) * n;
            for (int i = 0; i < n; i++)
            {
                int predicted = Network.ArgMax(A.Row(i));
                predictions[start + i] = predicted;
                confusion[labels[i], predicted]++;
                if (predicted == labels[i])
                {
                    correct++;
                }
            }
        }
        int count = Math.Max(1, data.Count);
        return new Evaluation((double)correct / count, lossSum / count, confusion, predictions);
    }

    /// <summary>Fraction of rows of <paramref name="A"/> whose largest value is at the label.</summary>
    public static double Accuracy(Matrix A, ReadOnlySpan<byte> labels)
    {
        int correct = 0;
        for (int i = 0; i < A.Rows; i++)
        {
            if (Network.ArgMax(A.Row(i)) == labels[i])
            {
                correct++;
            }
        }
        return A.Rows == 0 ? 0 : (double)correct / A.Rows;
    }
}
