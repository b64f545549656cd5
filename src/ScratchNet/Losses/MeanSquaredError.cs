// The quadratic cost of the classic textbook network (Nielsen, "Neural Networks and Deep
// Learning", ch. 1–2), with sigmoid outputs:
//   A = σ(Z)   loss = (1/m)·Σ_examples ½‖A − Y‖²   dZ = (A − Y) ∘ σ′(Z) = (A − Y) ∘ A ∘ (1 − A)
// Here for comparison with softmax cross-entropy, which learns faster from confident mistakes.
using ScratchNet.Tensors;

namespace ScratchNet.Losses;

/// <summary>The quadratic cost with sigmoid outputs: loss = ½‖σ(Z) − Y‖² per example.</summary>
public sealed class MeanSquaredError : ILoss
{
    /// <inheritdoc/>
    public string Name => "mse";

    /// <inheritdoc/>
    public string OutputSymbol => "σ";

    /// <inheritdoc/>
    public void Output(Matrix Z, Matrix A)
    {
        if (A.Rows != Z.Rows || A.Cols != Z.Cols)
        {
            throw new ArgumentException($"A {A} must have the shape of Z {Z}.");
        }
        Layers.Sigmoid.Logistic(Z.Span, A.Span);
    }

    /// <inheritdoc/>
    public double Forward(Matrix Z, ReadOnlySpan<byte> labels, Matrix A)
    {
        SoftmaxCrossEntropy.CheckLabels(Z, labels);
        Output(Z, A);
        return MeanLoss(A, labels);
    }

    /// <inheritdoc/>
    public double MeanLoss(Matrix A, ReadOnlySpan<byte> labels)
    {
        SoftmaxCrossEntropy.CheckLabels(A, labels);
        double sum = 0;
        for (int i = 0; i < A.Rows; i++)
        {
            ReadOnlySpan<float> a = A.Row(i);
            for (int j = 0; j < a.Length; j++)
            {
                double diff = a[j] - (labels[i] == j ? 1.0 : 0.0);
                sum += 0.5 * diff * diff;
            }
        }
        return sum / Math.Max(1, A.Rows);
    }

    /// <inheritdoc/>
    public void Backward(Matrix Z, Matrix A, ReadOnlySpan<byte> labels, Matrix dZ)
    {
        SoftmaxCrossEntropy.CheckLabels(Z, labels);
        for (int i = 0; i < A.Rows; i++)
        {
            ReadOnlySpan<float> a = A.Row(i);
            Span<float> d = dZ.Row(i);
            for (int j = 0; j < a.Length; j++)
            {
                float y = labels[i] == j ? 1f : 0f;
                d[j] = (a[j] - y) * a[j] * (1f - a[j]);
            }
        }
    }
}
