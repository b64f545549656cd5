// Accuracy, mean loss and confusion matrix of a network on a labelled set, in batches.
using ScratchNet.Data;
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Training;

/// <summary>Results on one data set. Confusion[t, p] counts images of true class t predicted as p;
/// Confidences[i] is the probability the network gave its prediction for image i.</summary>
public sealed record Evaluation(double Accuracy, double Loss, int[,] Confusion, int[] Predictions, float[] Confidences)
{
    public int Count => Predictions.Length;

    /// <summary>Per class: precision = TP / predicted as the class, recall = TP / truly the class, F1 their harmonic mean (0 where undefined).</summary>
    public IReadOnlyList<ClassScores> PerClass()
    {
        int n = Confusion.GetLength(0);
        var scores = new List<ClassScores>(n);
        for (int c = 0; c < n; c++)
        {
            int truePositives = Confusion[c, c], predicted = 0, actual = 0;
            for (int k = 0; k < n; k++)
            {
                predicted += Confusion[k, c];
                actual += Confusion[c, k];
            }
            double precision = predicted == 0 ? 0 : (double)truePositives / predicted;
            double recall = actual == 0 ? 0 : (double)truePositives / actual;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            scores.Add(new ClassScores(c, precision, recall, f1, actual));
        }
        return scores;
    }

    /// <summary>The wrong predictions, most confident first.</summary>
    public IReadOnlyList<int> ConfidentMistakes(IReadOnlyList<byte> labels, int count) =>
        Enumerable.Range(0, Count).Where(i => Predictions[i] != labels[i])
            .OrderByDescending(i => Confidences[i]).ThenBy(i => i).Take(count).ToList();
}

/// <summary>Precision, recall and F1 of one class, and how many images truly belong to it.</summary>
public sealed record ClassScores(int Class, double Precision, double Recall, double F1, int Support);

public static class Evaluator
{
    /// <summary>Images per forward pass: big enough for the kernels, small enough that the buffers stay a few MB.</summary>
    public const int BatchSize = 1024;

    /// <summary>Buffers one evaluation leaves for the next (a training run evaluates its dev set many times).</summary>
    internal sealed class Workspace(Network network, int features)
    {
        public InputBuffer X { get; } = new(network, features);

        public Matrix A { get; } = new(0, network.OutputSize);
    }

    public static Evaluation Evaluate(Network network, Dataset data) => Evaluate(network, data, new Workspace(network, data.Features));

    internal static Evaluation Evaluate(Network network, Dataset data, Workspace workspace)
    {
        int classes = network.OutputSize;
        var confusion = new int[classes, classes];
        var predictions = new int[data.Count];
        var confidences = new float[data.Count];
        InputBuffer X = workspace.X;
        Matrix A = workspace.A;
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
                confidences[start + i] = A[i, predicted];
                confusion[labels[i], predicted]++;
                if (predicted == labels[i])
                {
                    correct++;
                }
            }
        }
        int count = Math.Max(1, data.Count);
        return new Evaluation((double)correct / count, lossSum / count, confusion, predictions, confidences);
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
