// A batch of mostly-zero inputs in compressed sparse rows (CSR): for row i, the non-zero columns
// Index[RowStart[i] .. RowStart[i+1]) and their values. 81 % of MNIST pixels are zero, so the first
// layer's products touch a fifth of the data. Leaves out: sparse outputs (only inputs are sparse).
namespace ScratchNet.Tensors;

/// <summary>A CSR batch [Rows, Cols] whose buffers are reused when it is refilled.</summary>
internal sealed class SparseBatch
{
    private int[] rowStart = [0];
    private ushort[] index = [];
    private float[] value = [];

    public SparseBatch(int cols)
    {
        if (cols is < 1 or > ushort.MaxValue + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(cols), cols, "Sparse batches have 1..65536 columns.");
        }
        Cols = cols;
    }

    public int Rows { get; private set; }

    public int Cols { get; }

    /// <summary>Number of stored (non-zero) values.</summary>
    public int NonZeros => rowStart[Rows];

    /// <summary>Row i's entries are [RowStart[i], RowStart[i + 1]).</summary>
    public ReadOnlySpan<int> RowStart => rowStart.AsSpan(0, Rows + 1);

    public ReadOnlySpan<ushort> Index => index.AsSpan(0, NonZeros);

    public ReadOnlySpan<float> Value => value.AsSpan(0, NonZeros);

    internal int[] RowStartArray => rowStart;

    internal ushort[] IndexArray => index;

    internal float[] ValueArray => value;

    /// <summary>Bumped whenever the contents change, so cached layouts know when to rebuild.</summary>
    public int Version { get; private set; }

    /// <summary>The non-zeros regrouped by column within blocks of rows, cached until the batch changes.</summary>
    internal PixelMajorBlocks? ColumnLayout { get; set; }

    /// <summary>Empties the batch, keeping its buffers.</summary>
    public void Clear()
    {
        Rows = 0;
        Version++;
    }

    /// <summary>Makes room for <paramref name="rows"/> rows and <paramref name="nonZeros"/> values in all, so filling allocates no more.</summary>
    public void EnsureCapacity(int rows, int nonZeros)
    {
        // Grow by at least a quarter, so batches refilled with slowly growing counts do not reallocate every time.
        if (rowStart.Length < rows + 2)
        {
            Array.Resize(ref rowStart, Math.Max(rows + 2, rowStart.Length + (rowStart.Length / 4)));
        }
        if (index.Length < nonZeros)
        {
            int size = Math.Max(nonZeros, index.Length + (index.Length / 4));
            Array.Resize(ref index, size);
            Array.Resize(ref value, size);
        }
    }

    /// <summary>Appends a row from its dense values, keeping only the non-zeros.</summary>
    public void AppendRow(ReadOnlySpan<float> dense)
    {
        if (dense.Length != Cols)
        {
            throw new ArgumentException($"A row of this batch has {Cols} values, got {dense.Length}.");
        }
        int count = 0;
        foreach (float v in dense)
        {
            count += v != 0f ? 1 : 0;
        }
        int start = Reserve(count);
        for (int k = 0; k < dense.Length; k++)
        {
            if (dense[k] != 0f)
            {
                index[start] = (ushort)k;
                value[start++] = dense[k];
            }
        }
    }

    /// <summary>Appends a row given as sorted column indices and their values.</summary>
    public void AppendRow(ReadOnlySpan<ushort> columns, ReadOnlySpan<float> values)
    {
        int start = Reserve(columns.Length);
        columns.CopyTo(index.AsSpan(start));
        values.CopyTo(value.AsSpan(start));
    }

    private int Reserve(int count)
    {
        if (rowStart.Length < Rows + 2)
        {
            Array.Resize(ref rowStart, Math.Max(16, rowStart.Length * 2));
        }
        int start = rowStart[Rows];
        int end = start + count;
        if (index.Length < end)
        {
            int size = Math.Max(end, Math.Max(1024, index.Length * 2));
            Array.Resize(ref index, size);
            Array.Resize(ref value, size);
        }
        Rows++;
        rowStart[Rows] = end;
        Version++;
        return start;
    }

    /// <summary>The dense matrix [Rows, Cols] this batch stands for (for tests and the reference kernels).</summary>
    public Matrix ToDense()
    {
        var dense = new Matrix(Rows, Cols);
        for (int i = 0; i < Rows; i++)
        {
            for (int e = rowStart[i]; e < rowStart[i + 1]; e++)
            {
                dense[i, index[e]] = value[e];
            }
        }
        return dense;
    }

    public static SparseBatch FromDense(Matrix dense)
    {
        var batch = new SparseBatch(dense.Cols);
        for (int i = 0; i < dense.Rows; i++)
        {
            batch.AppendRow(dense.Row(i));
        }
        return batch;
    }

    public override string ToString() => $"SparseBatch [{Rows}, {Cols}], {NonZeros} non-zeros";
}
