// Accuracy, mean loss and confusion matrix of a network on a labelled set: the probabilities come
// from the inference engine the chooser picks (or the one given), the counting is done here.
using ScratchNet.Data;
using ScratchNet.Engines;
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Inference;

/// <summary>Results on one data set. Confusion[t, p] counts images of true class t predicted as p;
/// Confidences[i] is the probability the network gave its prediction for image i.</summary>
public sealed record Evaluation(double Accuracy, double Loss, int[,] Confusion, int[] Predictions, float[] Confidences)
{
    /// <summary>Number of images evaluated.</summary>
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

/// <summary>Accuracy, loss, confusion matrix and probabilities of a network on a data set.</summary>
public static class Evaluator
{
    /// <summary>Evaluates <paramref name="network"/> on <paramref name="data"/> with the engine the chooser picks (or <paramref name="engine"/>).</summary>
    public static Evaluation Evaluate(Network network, Dataset data, EngineKind engine = EngineKind.Auto) =>
        Evaluate(network, data, EngineChooser.CreateInference(network, EngineChooser.Choose(network, Workload.Inference, engine)));

    /// <summary>A [data.Count, classes]: the network's output for every image of <paramref name="data"/>, from the chooser's inference engine (or <paramref name="engine"/>).</summary>
    public static Matrix Probabilities(Network network, Dataset data, EngineKind engine = EngineKind.Auto)
    {
        var A = new Matrix(data.Count, network.OutputSize);
        if (data.Count > 0)
        {
            EngineChooser.CreateInference(network, EngineChooser.Choose(network, Workload.Inference, engine)).Predict(data, A);
        }
        return A;
    }

    /// <summary>Evaluates with an inference engine made for <paramref name="network"/> (a training run keeps one for its dev set).</summary>
    public static Evaluation Evaluate(Network network, Dataset data, IInferenceEngine engine)
    {
        int classes = network.OutputSize;
        var confusion = new int[classes, classes];
        var predictions = new int[data.Count];
        var confidences = new float[data.Count];
        if (data.Count == 0)
        {
            return new Evaluation(0, 0, confusion, predictions, confidences);
        }
        var A = new Matrix(data.Count, classes);   // A_L [m, classes]
        engine.Predict(data, A);
        byte[] labels = data.Labels;
        int correct = 0;
        for (int i = 0; i < data.Count; i++)
        {
            int predicted = ArgMax.Of(A.Row(i));
            predictions[i] = predicted;
            confidences[i] = A[i, predicted];
            confusion[labels[i], predicted]++;
            correct += predicted == labels[i] ? 1 : 0;
        }
        return new Evaluation((double)correct / data.Count, network.Loss.MeanLoss(A, labels), confusion, predictions, confidences);
    }
}
