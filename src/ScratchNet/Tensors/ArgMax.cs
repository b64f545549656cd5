// The predicted class of an output row: the index of its largest value, the first one on a tie
// (the same rule in every engine, so they agree on every image).
namespace ScratchNet.Tensors;

/// <summary>The index of the largest value of a row (the first on a tie).</summary>
public static class ArgMax
{
    /// <summary>Index of the largest value; the first of equal largest values.</summary>
    public static int Of(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++)
        {
            if (row[j] > row[best])
            {
                best = j;
            }
        }
        return best;
    }

    /// <summary>How many rows of A [m, classes] have their largest value at the label.</summary>
    public static int Correct(Matrix A, ReadOnlySpan<byte> labels)
    {
        int correct = 0;
        for (int i = 0; i < A.Rows; i++)
        {
            correct += Of(A.Row(i)) == labels[i] ? 1 : 0;
        }
        return correct;
    }
}
