// A sparse batch's non-zeros regrouped by column (pixel) inside fixed blocks of rows, so that a
// weight gradient can visit each pixel of a block once: for block b and pixel k, the entries
// ColStart[b·(K+1) + k] .. ColStart[b·(K+1) + k + 1] give the row within the block and the value,
// rows in ascending order. Built once per batch contents and reused across iterations.
namespace ScratchNet.Tensors;

internal sealed class PixelMajorBlocks
{
    public const int BlockRows = 256; // a row within a block fits in a byte

    public int Version { get; private set; } = -1;

    public int Blocks { get; private set; }

    /// <summary>First row of block b; BlockRowStart[Blocks] = m.</summary>
    public int[] BlockRowStart { get; private set; } = [];

    /// <summary>Per block, K + 1 absolute offsets into the entries.</summary>
    public int[] ColStart { get; private set; } = [];

    public byte[] EntryRow { get; private set; } = [];

    public float[] EntryValue { get; private set; } = [];

    /// <summary>Returns the layout of <paramref name="X"/> cut at <paramref name="pieceStarts"/> then every 256 rows, building it if the batch changed.</summary>
    public static PixelMajorBlocks For(SparseBatch X, ReadOnlySpan<int> pieceStarts)
    {
        PixelMajorBlocks layout = X.ColumnLayout ??= new PixelMajorBlocks();
        if (layout.Version != X.Version || layout.BlockRowStart.Length == 0 || layout.BlockRowStart[layout.Blocks] != X.Rows)
        {
            layout.Build(X, pieceStarts);
        }
        return layout;
    }

    private void Build(SparseBatch X, ReadOnlySpan<int> pieceStarts)
    {
        int K = X.Cols, nnz = X.NonZeros;
        var starts = new List<int>();
        for (int p = 0; p + 1 < pieceStarts.Length; p++)
        {
            for (int r = pieceStarts[p]; r < pieceStarts[p + 1]; r += BlockRows)
            {
                starts.Add(r);
            }
        }
        starts.Add(X.Rows);
        Blocks = starts.Count - 1;
        BlockRowStart = [.. starts];
        if (ColStart.Length < Blocks * (K + 1))
        {
            ColStart = new int[Blocks * (K + 1)];
        }
        if (EntryRow.Length < nnz)
        {
            EntryRow = new byte[nnz];
            EntryValue = new float[nnz];
        }
        int[] rowStart = X.RowStartArray, colStart = ColStart, blockRowStart = BlockRowStart;
        ushort[] index = X.IndexArray;
        float[] value = X.ValueArray;
        byte[] entryRow = EntryRow;
        float[] entryValue = EntryValue;
        Workers.For(Blocks, b =>
        {
            int r0 = blockRowStart[b], r1 = blockRowStart[b + 1];
            Span<int> cols = colStart.AsSpan(b * (K + 1), K + 1);
            cols.Clear();
            int e0 = rowStart[r0], e1 = rowStart[r1];
            for (int e = e0; e < e1; e++)
            {
                cols[index[e] + 1]++;
            }
            cols[0] = e0;
            for (int k = 0; k < K; k++)
            {
                cols[k + 1] += cols[k];
            }
            // Fill with a moving cursor per column (cols[k] advances to the end of column k),
            // then shift back so cols[k] is column k's start again.
            for (int r = r0; r < r1; r++)
            {
                for (int e = rowStart[r]; e < rowStart[r + 1]; e++)
                {
                    int slot = cols[index[e]]++;
                    entryRow[slot] = (byte)(r - r0);
                    entryValue[slot] = value[e];
                }
            }
            for (int k = K; k > 0; k--)
            {
                cols[k] = cols[k - 1];
            }
            cols[0] = e0;
        });
        Version = X.Version;
    }
}
