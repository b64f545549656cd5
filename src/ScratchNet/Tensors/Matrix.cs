// A dense float32 matrix, row-major: [Rows, Cols]. When it holds a batch, row i is example i
// (the transpose of the notes' "examples are columns"). Leaves out: views, broadcasting, autograd.
namespace ScratchNet.Tensors;

/// <summary>A row-major float32 matrix [Rows, Cols] whose storage can be reused for other shapes.</summary>
public sealed class Matrix
{
    private float[] data;

    /// <summary>A zero matrix of <paramref name="rows"/> × <paramref name="cols"/>.</summary>
    public Matrix(int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        Rows = rows;
        Cols = cols;
        data = new float[checked(rows * cols)];
    }

    /// <summary>A matrix over <paramref name="values"/> (row-major, not copied).</summary>
    public Matrix(int rows, int cols, float[] values)
    {
        if (values.Length != checked(rows * cols))
        {
            throw new ArgumentException($"Matrix [{rows}, {cols}] needs {rows * cols} values, got {values.Length}.", nameof(values));
        }
        Rows = rows;
        Cols = cols;
        data = values;
    }

    /// <summary>Number of rows (examples in a batch).</summary>
    public int Rows { get; private set; }

    /// <summary>Number of columns (values per example).</summary>
    public int Cols { get; private set; }

    /// <summary>All Rows·Cols values, row after row.</summary>
    public Span<float> Span => data.AsSpan(0, Rows * Cols);

    /// <summary>The backing array; may be longer than Rows·Cols after a shrinking <see cref="Reshape"/>.</summary>
    public float[] Storage => data;

    /// <summary>The value at <paramref name="row"/>, <paramref name="col"/>.</summary>
    public float this[int row, int col]
    {
        get => data[(row * Cols) + col];
        set => data[(row * Cols) + col] = value;
    }

    /// <summary>Row <paramref name="row"/> as a span.</summary>
    public Span<float> Row(int row) => data.AsSpan(row * Cols, Cols);

    /// <summary>Gives this buffer the shape [rows, cols], growing the storage only when it is too small.</summary>
    public Matrix Reshape(int rows, int cols)
    {
        int needed = checked(rows * cols);
        if (needed > data.Length)
        {
            data = new float[needed];
        }
        Rows = rows;
        Cols = cols;
        return this;
    }

    /// <summary>Returns <paramref name="buffer"/> reshaped to [rows, cols], or a new matrix when it is null.</summary>
    public static Matrix Ensure(ref Matrix? buffer, int rows, int cols)
    {
        buffer ??= new Matrix(rows, cols);
        return buffer.Reshape(rows, cols);
    }

    /// <summary>A copy of the matrix.</summary>
    public Matrix Clone() => new(Rows, Cols, Span.ToArray());

    /// <inheritdoc/>
    public override string ToString() => $"Matrix [{Rows}, {Cols}]";
}
