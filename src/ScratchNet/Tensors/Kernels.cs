// Fast matrix kernels: register-tiled, written once over ILanes and run at the machine's widest
// vectors (512, 256 or 128 bits; scalar only where .NET is offered no vector hardware), split
// into pieces fixed by the shapes so results do not depend on the thread count. Each output
// element is computed by one fixed sequence of fused multiply-adds. Leaves out: sparse input.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

/// <summary>The products the library uses, fast. Same contracts as <see cref="ReferenceKernels"/>.</summary>
internal static unsafe partial class Kernels
{
    private const int RowBlock = 64;      // rows of the output per piece
    private const int SmallRowBlock = 16; // … when there are few rows (mini-batches), for more pieces
    private const int ColBlock = 64;      // columns of the output per piece (AtB) / per cache block (ABt)
    private const int KBlock = 128;       // examples per cache block in AtB

    /// <summary>C[M,N] = A[M,K]·B[N,K]ᵀ + bias[N]. Forward: Z = X·Wᵀ + b (the notes' Z = W·X + b).</summary>
    public static void MatMulABt(Matrix A, Matrix B, float[]? bias, Matrix C)
    {
        int M = A.Rows, K = A.Cols, N = B.Rows;
        ReferenceKernels.Check(B.Cols == K && C.Rows == M && C.Cols == N, "MatMulABt", A, B, C);
        if (bias is not null && bias.Length < N)
        {
            throw new ArgumentException($"MatMulABt: bias has {bias.Length} values, needs {N}.");
        }
        float[] a = A.Storage, b = B.Storage, c = C.Storage;
        // At 512 bits, B's rows packed in pairs: 4 × 8 tiles of 512-bit multiply-adds with the 256-bit dots' bits
        bool paired = PairedDots && M >= 4 && N >= 8 && K >= 8;
        float[]? pairs = paired ? System.Buffers.ArrayPool<float>.Shared.Rent(N / 2 * 2 * (K / 8 * 8)) : null;
        if (paired)
        {
            // 32 rows (16 pairs) per piece, on every core
            Workers.For(Pieces.Covering(N, 32), piece =>
            {
                fixed (float* pb = b, pp = pairs)
                {
                    PackPairs(pb, piece * 32, Math.Min(N, (piece + 1) * 32), K, pp);
                }
            });
        }
        // Work item = (block of rows, block of columns), both fixed by the shapes.
        int rowBlock = M >= 4 * RowBlock ? RowBlock : SmallRowBlock;
        int rowBlocks = Pieces.Covering(M, rowBlock), colBlocks = Pieces.Covering(N, ColBlock);
        int lanes = DotLanes;
        Workers.For(rowBlocks * colBlocks, item =>
        {
            int i0 = item / colBlocks * rowBlock, i1 = Math.Min(M, i0 + rowBlock);
            int j0 = item % colBlocks * ColBlock, j1 = Math.Min(N, j0 + ColBlock);
            // Tiles of four images where AVX-512 runs the paired 4 × 8 tiles, else of two (DotTile2x4)
            int tileRows = paired ? 4 : 2, step = paired ? 8 : 4;
            int tiles = (i1 - i0 + tileRows - 1) / tileRows, capacity = ChunkList.Capacity(K, lanes);
            int[] starts = System.Buffers.ArrayPool<int>.Shared.Rent(capacity * tiles);
            fixed (float* pa = a, pb = b, pc = c, pp = pairs)
            fixed (int* ps = starts)
            {
                // Each tile's chunks of k where some row is not zero (the others add nothing: ChunkList), listed once;
                // then the columns a tile's width at a time over all the block's tiles, so that those rows of B stay
                // in L1 while the images pass by (images first re-read the column block from L2 for every tile).
                var lists = stackalloc ChunkList[tiles];
                for (int t = 0; t < tiles; t++)
                {
                    int i = i0 + (t * tileRows);
                    lists[t] = ChunkList.Of(pa + ((long)i * K), K, Math.Min(tileRows, i1 - i), K, lanes, ps + ((long)t * capacity));
                }
                int j = j0;
                if (i1 - i0 == 1)
                {
                    // A single image (predicting one): its row over the block's columns in one pass, no tiles to interleave
                    DotRow(pa + ((long)i0 * K), K, pb + ((long)j0 * K), K, j1 - j0, pc + ((long)i0 * N) + j0, lists[0]);
                    j = j1;
                }
                for (; j + step <= j1; j += step)
                {
                    for (int t = 0; t < tiles; t++)
                    {
                        int i = i0 + (t * tileRows);
                        DotColumns(pa + ((long)i * K), K, Math.Min(tileRows, i1 - i), tileRows, pb, pp, pc + ((long)i * N), N, j, j + step, lists[t]);
                    }
                }
                for (int t = 0; j < j1 && t < tiles; t++)
                {
                    int i = i0 + (t * tileRows);
                    DotColumns(pa + ((long)i * K), K, Math.Min(tileRows, i1 - i), tileRows, pb, pp, pc + ((long)i * N), N, j, j1, lists[t]);
                }

                if (bias is not null)
                {
                    for (int i = i0; i < i1; i++)
                    {
                        float* row = pc + ((long)i * N);
                        for (int q = j0; q < j1; q++)
                        {
                            row[q] += bias[q];
                        }
                    }
                }
            }
            System.Buffers.ArrayPool<int>.Shared.Return(starts);
        });
        if (pairs is not null)
        {
            System.Buffers.ArrayPool<float>.Shared.Return(pairs);
        }
    }

    /// <summary>
    /// Columns [q0, q1) of <see cref="MatMulABt"/>'s rows <paramref name="a"/> … (<paramref name="rows"/> of them) into
    /// <paramref name="c"/>: one whole tile where the rows and columns fill one (4 × 8 over <paramref name="pairs"/>
    /// when it is not null, else 2 × 4), else one image's row (a bigger tile would compute rows for nothing), else
    /// 4 × 2 tiles and single dots. Every element gets the same bits whichever runs.
    /// </summary>
    private static void DotColumns(float* a, int K, int rows, int tileRows, float* b, float* pairs, float* c, int N, int q0, int q1, ChunkList chunks)
    {
        if (rows == tileRows && q1 - q0 == (pairs is null ? 4 : 8))
        {
            if (pairs is not null)
            {
                DotTile4x8Paired(a, K, pairs + ((long)q0 * (K / 8 * 8)), K, b + ((long)q0 * K), K, c + q0, N, chunks);
            }
            else
            {
                DotTile2x4(a, K, rows, b + ((long)q0 * K), K, c + q0, N, chunks);
            }
            return;
        }
        if (rows == 1)
        {
            DotRow(a, K, b + ((long)q0 * K), K, q1 - q0, c + q0, chunks);
            return;
        }
        int q = q0;
        for (; q + 2 <= q1; q += 2)
        {
            DotTile4x2(a, K, rows, b + ((long)q * K), K, c + q, N, chunks);
        }
        for (; q < q1; q++)
        {
            for (int r = 0; r < rows; r++)
            {
                c[((long)r * N) + q] = Dot(a + ((long)r * K), b + ((long)q * K), K);
            }
        }
    }

    /// <summary>Whether <see cref="MatMulABt"/> runs its 4 × 8 tiles on 512-bit vectors over B packed in pairs (AVX-512): the same bits as the 256-bit dots.</summary>
    private static bool PairedDots
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Simd.Has512 && DotWidth == VectorWidth.Bits256;
    }

    /// <summary>C[M,N] = A[M,K]·B[K,N]. Input gradient: dX = dZ·W (the notes' W2ᵀ·dZ2).</summary>
    public static void MatMulAB(Matrix A, Matrix B, Matrix C)
    {
        int M = A.Rows, K = A.Cols, N = B.Cols;
        ReferenceKernels.Check(B.Rows == K && C.Rows == M && C.Cols == N, "MatMulAB", A, B, C);
        float[] a = A.Storage, b = B.Storage, c = C.Storage;
        // Work item = (block of rows, strip of 128 columns), both fixed by the shapes.
        int rowBlock = M >= 4 * RowBlock ? RowBlock : SmallRowBlock;
        int rowBlocks = Pieces.Covering(M, rowBlock), strips = Pieces.Covering(N, 2 * ColBlock);
        Workers.For(rowBlocks * strips, item =>
        {
            int i0 = item / strips * rowBlock, i1 = Math.Min(M, i0 + rowBlock);
            int n0 = item % strips * 2 * ColBlock, n1 = Math.Min(N, n0 + (2 * ColBlock));
            fixed (float* pa = a, pb = b, pc = c)
            {
                for (int i = i0; i < i1; i += 4)
                {
                    int rows = Math.Min(4, i1 - i);
                    // Row r of this tile, element k of A: pa[(i + r)·K + k].
                    OuterTile(pa + ((long)i * K), K, 1, rows, pb + n0, N, 0, K, n1 - n0, pc + ((long)i * N) + n0, N, accumulate: false);
                }
            }
        });
    }

    /// <summary>C[M,N] = scale·A[K,M]ᵀ·B[K,N]. Weight gradient: dW = (1/m)·dZᵀ·X (the notes' (1/m)·dZ·Xᵀ).</summary>
    /// <remarks>
    /// The K examples are cut into pieces whose number depends on K alone; each piece sums its
    /// examples in order into its own partial C, and the partials are added in piece order.
    /// </remarks>
    public static void MatMulAtB(Matrix A, Matrix B, float scale, Matrix C)
    {
        int K = A.Rows, M = A.Cols, N = B.Cols;
        ReferenceKernels.Check(B.Rows == K && C.Rows == M && C.Cols == N, "MatMulAtB", A, B, C);
        if (ByColumns(B.Storage, K, M, N))
        {
            MatMulAtBByColumns(A, B, scale, C);
        }
        else
        {
            MatMulAtBByTiles(A, B, scale, C);
        }
    }

    /// <summary><see cref="MatMulAtB"/> in outer-product tiles (4 rows × 2 vectors of columns) over passes of B's columns.</summary>
    internal static void MatMulAtBByTiles(Matrix A, Matrix B, float scale, Matrix C)
    {
        int K = A.Rows, M = A.Cols, N = B.Cols;
        int pieces = Pieces.Count(K);   // pieces of examples, fixed by K alone
        int perPiece = (K + pieces - 1) / pieces;
        int strips = Pieces.Covering(N, ColBlock);
        int size = M * N;
        float[] a = A.Storage, b = B.Storage, c = C.Storage;
        float[] partials = pieces == 1 ? c : System.Buffers.ArrayPool<float>.Shared.Rent(pieces * size);
        try
        {
            // Work item = (piece of examples, strip of 64 columns of C): both fixed by the shapes.
            Workers.For(pieces * strips, item =>
            {
                int piece = item / strips, strip = item % strips;
                int kStart = piece * perPiece, kEnd = Math.Min(K, kStart + perPiece);
                int n0 = strip * ColBlock, n1 = Math.Min(N, n0 + ColBlock);
                int* pk = stackalloc int[KBlock];
                fixed (float* pa = a, pb = b, pp = partials)
                {
                    float* partial = pp + ((long)piece * size);
                    if (kEnd <= kStart)
                    {
                        for (int j = 0; j < M; j++)
                        {
                            new Span<float>(partial + ((long)j * N) + n0, n1 - n0).Clear();
                        }
                        return;
                    }
                    int width = OuterChunkWidth, whole = (n1 - n0) / width * width;
                    for (int k0 = kStart; k0 < kEnd; k0 += KBlock)
                    {
                        int k1 = Math.Min(kEnd, k0 + KBlock);
                        bool accumulate = k0 > kStart;
                        // Passes of two vectors of columns over the examples not zero there (B is often an
                        // image batch: most examples are zero over most passes), the same bits as over all
                        for (int n = n0; n < n0 + whole; n += width)
                        {
                            var keys = ChunkList.Rows(pb + n, N, k0, k1, width, pk);
                            for (int j = 0; j < M; j += 4)
                            {
                                // Row r of this tile, element k of A: pa[k·M + j + r].
                                OuterChunk(pa + j, 1, M, Math.Min(4, M - j), pb + n, N, keys, partial + ((long)j * N) + n, N, accumulate);
                            }
                        }
                        if (whole < n1 - n0)
                        {
                            for (int j = 0; j < M; j += 4)
                            {
                                OuterTile(pa + j, 1, M, Math.Min(4, M - j), pb + n0 + whole, N, k0, k1, n1 - n0 - whole, partial + ((long)j * N) + n0 + whole, N, accumulate);
                            }
                        }
                    }
                    if (pieces == 1)
                    {
                        // One piece: its sums are C's; scaled here, while this strip is in this core's cache
                        for (int j = 0; j < M; j++)
                        {
                            var row = new Span<float>(partial + ((long)j * N) + n0, n1 - n0);
                            System.Numerics.Tensors.TensorPrimitives.Multiply(row, scale, row);
                        }
                    }
                }
            });
            if (pieces == 1)
            {
                return;
            }
            // C = scale · Σ_pieces partial, pieces in order; split by columns of C.
            Workers.For(Pieces.Covering(size, 4096), chunk =>
            {
                int start = chunk * 4096, length = Math.Min(size, start + 4096) - start;
                Span<float> sum = c.AsSpan(start, length);
                partials.AsSpan(start, length).CopyTo(sum);
                for (int p = 1; p < pieces; p++)
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(sum, partials.AsSpan((p * size) + start, length), sum);
                }
                System.Numerics.Tensors.TensorPrimitives.Multiply(sum, scale, sum);
            });
        }
        finally
        {
            if (pieces > 1)
            {
                System.Buffers.ArrayPool<float>.Shared.Return(partials);
            }
        }
    }

    /// <summary>sums[N] = scale·Σ_rows A[M,N]; rows summed in order. Bias gradient: db = (1/m)·Σ dZ.</summary>
    public static void ColumnSums(Matrix A, float scale, float[] sums)
    {
        int M = A.Rows, N = A.Cols;
        Span<float> s = sums.AsSpan(0, N);
        s.Clear();
        for (int i = 0; i < M; i++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(s, A.Row(i), s);
        }
        System.Numerics.Tensors.TensorPrimitives.Multiply(s, scale, s);
    }
}
