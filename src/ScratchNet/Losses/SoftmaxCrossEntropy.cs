// Softmax fused with cross-entropy, computed stably:
//   A = softmax(Z) = exp(z_i − max z) / Σ_j exp(z_j − max z)   (per example)
//   loss = −(1/m) Σ Y ∘ log A = (1/m) Σ_examples (max z + log Σ_j exp(z_j − max z) − z_label)
//   dZ = A − Y
// The log is taken of the sum (≥ 1), never of a probability, so it cannot reach log 0.
using ScratchNet.Tensors;

namespace ScratchNet.Losses;

/// <summary>Softmax output with cross-entropy loss.</summary>
public sealed class SoftmaxCrossEntropy : ILoss
{
    /// <inheritdoc/>
    public string Name => "cross_entropy";

    /// <inheritdoc/>
    public string OutputSymbol => "softmax";

    /// <inheritdoc/>
    public void Output(Matrix Z, Matrix A) => Run(Z, A, default, null);

    /// <inheritdoc/>
    public double Forward(Matrix Z, ReadOnlySpan<byte> labels, Matrix A)
    {
        CheckLabels(Z, labels);
        double[] losses = new double[Z.Rows];
        Run(Z, A, labels, losses);
        double sum = 0;
        foreach (double l in losses)
        {
            sum += l;
        }
        return sum / Z.Rows;
    }

    /// <summary>loss = −(1/m) Σ log A[label], each probability clamped to at least 1e-30 (log 0 would be −∞).</summary>
    public double MeanLoss(Matrix A, ReadOnlySpan<byte> labels)
    {
        CheckLabels(A, labels);
        double sum = 0;
        for (int i = 0; i < A.Rows; i++)
        {
            sum -= Math.Log(Math.Max(A[i, labels[i]], 1e-30));
        }
        return sum / Math.Max(1, A.Rows);
    }

    /// <inheritdoc/>
    public void Backward(Matrix Z, Matrix A, ReadOnlySpan<byte> labels, Matrix dZ)
    {
        CheckLabels(Z, labels);
        // dZ = A − Y   (classes×m)
        A.Span.CopyTo(dZ.Span);
        for (int i = 0; i < labels.Length; i++)
        {
            dZ[i, labels[i]] -= 1f;
        }
    }

    private static void Run(Matrix Z, Matrix A, ReadOnlySpan<byte> labels, double[]? losses)
    {
        if (A.Rows != Z.Rows || A.Cols != Z.Cols)
        {
            throw new ArgumentException($"A {A} must have the shape of Z {Z}.");
        }
        byte[] labelCopy = losses is null ? [] : labels.ToArray();
        const int rowsPerPiece = 1024; // fixed by the shapes: the same bits on any thread count
        Workers.For((Z.Rows + rowsPerPiece - 1) / rowsPerPiece, p =>
        {
            int end = Math.Min(Z.Rows, (p + 1) * rowsPerPiece);
            for (int i = p * rowsPerPiece; i < end; i++)
            {
                ReadOnlySpan<float> z = Z.Row(i);
                double logSumExp = Softmax.Row(z, A.Row(i));
                if (losses is not null)
                {
                    losses[i] = logSumExp - z[labelCopy[i]];
                }
            }
        });
    }

    internal static void CheckLabels(Matrix Z, ReadOnlySpan<byte> labels)
    {
        if (labels.Length != Z.Rows)
        {
            throw new ArgumentException($"{labels.Length} labels for {Z.Rows} examples.");
        }
        foreach (byte label in labels)
        {
            if (label >= Z.Cols)
            {
                throw new ArgumentException($"Label {label} is outside the {Z.Cols} classes of the output layer.");
            }
        }
    }
}
