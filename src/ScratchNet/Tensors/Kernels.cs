// Fast matrix kernels: register-tiled, vectorised (Vector256 with FMA; scalar fallback), split
// into pieces fixed by the shapes so results do not depend on the thread count. Each output
// element is computed by one fixed sequence of fused multiply-adds. Leaves out: sparse input.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

/// <summary>The products the library uses, fast. Same contracts as <see cref="ReferenceKernels"/>.</summary>
public static unsafe class Kernels
{
    private const int V = 8;              // floats per Vector256
    private const int RowBlock = 64;      // rows of the output per piece
    private const int SmallRowBlock = 16; // … when there are few rows (mini-batches), for more pieces
    private const int ColBlock = 64;      // columns of the output per piece (AtB) / per cache block (ABt)
    private const int KBlock = 128;       // examples per cache block in AtB

    private static bool Vectorised => Simd.Has256;

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
        // Work item = (block of rows, block of columns), both fixed by the shapes.
        int rowBlock = M >= 4 * RowBlock ? RowBlock : SmallRowBlock;
        int rowBlocks = Pieces.Covering(M, rowBlock), colBlocks = Pieces.Covering(N, ColBlock);
        Workers.For(rowBlocks * colBlocks, item =>
        {
            int i0 = item / colBlocks * rowBlock, i1 = Math.Min(M, i0 + rowBlock);
            int j0 = item % colBlocks * ColBlock, j1 = Math.Min(N, j0 + ColBlock);
            fixed (float* pa = a, pb = b, pc = c)
            {
                for (int i = i0; i < i1; i += 4)
                {
                    int rows = Math.Min(4, i1 - i);
                    int j = j0;
                    for (; j + 2 <= j1; j += 2)
                    {
                        DotTile4x2(pa + ((long)i * K), K, rows, pb + ((long)j * K), K, pc + ((long)i * N) + j, N);
                    }
                    for (; j < j1; j++)
                    {
                        for (int r = 0; r < rows; r++)
                        {
                            pc[((long)(i + r) * N) + j] = Dot(pa + ((long)(i + r) * K), pb + ((long)j * K), K);
                        }
                    }
                }
                if (bias is not null)
                {
                    for (int i = i0; i < i1; i++)
                    {
                        float* row = pc + ((long)i * N);
                        for (int j = j0; j < j1; j++)
                        {
                            row[j] += bias[j];
                        }
                    }
                }
            }
        });
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
                    for (int k0 = kStart; k0 < kEnd; k0 += KBlock)
                    {
                        int k1 = Math.Min(kEnd, k0 + KBlock);
                        for (int j = 0; j < M; j += 4)
                        {
                            int rows = Math.Min(4, M - j);
                            // Row r of this tile, element k of A: pa[k·M + j + r].
                            OuterTile(pa + j, 1, M, rows, pb + n0, N, k0, k1, n1 - n0, partial + ((long)j * N) + n0, N, accumulate: k0 > kStart);
                        }
                    }
                }
            });
            // C = scale · Σ_pieces partial, pieces in order; split by columns of C.
            Workers.For(Pieces.Covering(size, 4096), chunk =>
            {
                int start = chunk * 4096, length = Math.Min(size, start + 4096) - start;
                Span<float> sum = c.AsSpan(start, length);
                if (pieces > 1)
                {
                    partials.AsSpan(start, length).CopyTo(sum);
                    for (int p = 1; p < pieces; p++)
                    {
                        System.Numerics.Tensors.TensorPrimitives.Add(sum, partials.AsSpan((p * size) + start, length), sum);
                    }
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


    /// <summary>Dot product of two K-vectors: 8 lanes of fused multiply-adds, then the tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(float* x, float* y, int K)
    {
        int k = 0;
        float sum = 0;
        if (Vectorised && K >= V)
        {
            Vector256<float> acc = Vector256<float>.Zero;
            for (; k + V <= K; k += V)
            {
                acc = Vector256.FusedMultiplyAdd(Vector256.Load(x + k), Vector256.Load(y + k), acc);
            }
            sum = Vector256.Sum(acc);
        }
        for (; k < K; k++)
        {
            sum = MathF.FusedMultiplyAdd(x[k], y[k], sum);
        }
        return sum;
    }

    /// <summary>
    /// c[r·ldc + q] = dot(a row r, b row q) for r &lt; rows (≤ 4), q &lt; 2. Rows past <paramref name="rows"/>
    /// reuse row 0 and are not stored, so every stored element follows the same operations as
    /// <see cref="Dot"/>.
    /// </summary>
    private static void DotTile4x2(float* a, int lda, int rows, float* b, int ldb, float* c, int ldc)
    {
        int K = lda;
        if (!Vectorised || K < V)
        {
            for (int r = 0; r < rows; r++)
            {
                c[(long)r * ldc] = Dot(a + ((long)r * lda), b, K);
                c[((long)r * ldc) + 1] = Dot(a + ((long)r * lda), b + ldb, K);
            }
            return;
        }
        float* a0 = a;
        float* a1 = rows > 1 ? a + lda : a;
        float* a2 = rows > 2 ? a + (2L * lda) : a;
        float* a3 = rows > 3 ? a + (3L * lda) : a;
        float* b0 = b, b1 = b + ldb;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        int k = 0;
        for (; k + V <= K; k += V)
        {
            Vector256<float> vb0 = Vector256.Load(b0 + k), vb1 = Vector256.Load(b1 + k);
            Vector256<float> va = Vector256.Load(a0 + k);
            c00 = Vector256.FusedMultiplyAdd(va, vb0, c00);
            c01 = Vector256.FusedMultiplyAdd(va, vb1, c01);
            va = Vector256.Load(a1 + k);
            c10 = Vector256.FusedMultiplyAdd(va, vb0, c10);
            c11 = Vector256.FusedMultiplyAdd(va, vb1, c11);
            va = Vector256.Load(a2 + k);
            c20 = Vector256.FusedMultiplyAdd(va, vb0, c20);
            c21 = Vector256.FusedMultiplyAdd(va, vb1, c21);
            va = Vector256.Load(a3 + k);
            c30 = Vector256.FusedMultiplyAdd(va, vb0, c30);
            c31 = Vector256.FusedMultiplyAdd(va, vb1, c31);
        }
        Store(c, Vector256.Sum(c00), Vector256.Sum(c01), a0, b0, b1, k, K);
        if (rows > 1) Store(c + ldc, Vector256.Sum(c10), Vector256.Sum(c11), a1, b0, b1, k, K);
        if (rows > 2) Store(c + (2L * ldc), Vector256.Sum(c20), Vector256.Sum(c21), a2, b0, b1, k, K);
        if (rows > 3) Store(c + (3L * ldc), Vector256.Sum(c30), Vector256.Sum(c31), a3, b0, b1, k, K);

        static void Store(float* c, float s0, float s1, float* a, float* b0, float* b1, int k, int K)
        {
            for (; k < K; k++)
            {
                s0 = MathF.FusedMultiplyAdd(a[k], b0[k], s0);
                s1 = MathF.FusedMultiplyAdd(a[k], b1[k], s1);
            }
            c[0] = s0;
            c[1] = s1;
        }
    }

    /// <summary>
    /// Outer-product tile: for r &lt; rows (≤ 4) and n &lt; cols,
    /// c[r·ldc + n] (+)= Σ_{k0 ≤ k &lt; k1} a[r·aRow + k·aK]·b[k·ldb + n], summed in k order with fused
    /// multiply-adds. Columns come 32 or 16 at a time in registers, the rest one at a time; either way
    /// an element sees the same operations in the same order.
    /// </summary>
    private static void OuterTile(float* a, int aRow, int aK, int rows, float* b, int ldb, int k0, int k1, int cols, float* c, int ldc, bool accumulate)
    {
        float* a0 = a;
        float* a1 = rows > 1 ? a + aRow : a;
        float* a2 = rows > 2 ? a + (2L * aRow) : a;
        float* a3 = rows > 3 ? a + (3L * aRow) : a;
        int n = 0;
        if (Simd.Has512)
        {
            // The same tile 32 columns wide in 512-bit registers: half the loads and broadcasts per FMA.
            for (; n + 32 <= cols; n += 32)
            {
                float* cr0 = c + n, cr1 = c + ldc + n, cr2 = c + (2L * ldc) + n, cr3 = c + (3L * ldc) + n;
                Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
                Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
                if (accumulate)
                {
                    c00 = Vector512.Load(cr0); c01 = Vector512.Load(cr0 + 16);
                    if (rows > 1) { c10 = Vector512.Load(cr1); c11 = Vector512.Load(cr1 + 16); }
                    if (rows > 2) { c20 = Vector512.Load(cr2); c21 = Vector512.Load(cr2 + 16); }
                    if (rows > 3) { c30 = Vector512.Load(cr3); c31 = Vector512.Load(cr3 + 16); }
                }
                for (int k = k0; k < k1; k++)
                {
                    float* bk = b + ((long)k * ldb) + n;
                    Vector512<float> vb0 = Vector512.Load(bk), vb1 = Vector512.Load(bk + 16);
                    long ak = (long)k * aK;
                    Vector512<float> va = Vector512.Create(a0[ak]);
                    c00 = Vector512.FusedMultiplyAdd(va, vb0, c00);
                    c01 = Vector512.FusedMultiplyAdd(va, vb1, c01);
                    va = Vector512.Create(a1[ak]);
                    c10 = Vector512.FusedMultiplyAdd(va, vb0, c10);
                    c11 = Vector512.FusedMultiplyAdd(va, vb1, c11);
                    va = Vector512.Create(a2[ak]);
                    c20 = Vector512.FusedMultiplyAdd(va, vb0, c20);
                    c21 = Vector512.FusedMultiplyAdd(va, vb1, c21);
                    va = Vector512.Create(a3[ak]);
                    c30 = Vector512.FusedMultiplyAdd(va, vb0, c30);
                    c31 = Vector512.FusedMultiplyAdd(va, vb1, c31);
                }
                c00.Store(cr0); c01.Store(cr0 + 16);
                if (rows > 1) { c10.Store(cr1); c11.Store(cr1 + 16); }
                if (rows > 2) { c20.Store(cr2); c21.Store(cr2 + 16); }
                if (rows > 3) { c30.Store(cr3); c31.Store(cr3 + 16); }
            }
        }
        if (Vectorised)
        {
            for (; n + (2 * V) <= cols; n += 2 * V)
            {
                float* cr0 = c + n, cr1 = c + ldc + n, cr2 = c + (2L * ldc) + n, cr3 = c + (3L * ldc) + n;
                Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
                Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
                if (accumulate)
                {
                    c00 = Vector256.Load(cr0); c01 = Vector256.Load(cr0 + V);
                    if (rows > 1) { c10 = Vector256.Load(cr1); c11 = Vector256.Load(cr1 + V); }
                    if (rows > 2) { c20 = Vector256.Load(cr2); c21 = Vector256.Load(cr2 + V); }
                    if (rows > 3) { c30 = Vector256.Load(cr3); c31 = Vector256.Load(cr3 + V); }
                }
                for (int k = k0; k < k1; k++)
                {
                    float* bk = b + ((long)k * ldb) + n;
                    Vector256<float> vb0 = Vector256.Load(bk), vb1 = Vector256.Load(bk + V);
                    long ak = (long)k * aK;
                    Vector256<float> va = Vector256.Create(a0[ak]);
                    c00 = Vector256.FusedMultiplyAdd(va, vb0, c00);
                    c01 = Vector256.FusedMultiplyAdd(va, vb1, c01);
                    va = Vector256.Create(a1[ak]);
                    c10 = Vector256.FusedMultiplyAdd(va, vb0, c10);
                    c11 = Vector256.FusedMultiplyAdd(va, vb1, c11);
                    va = Vector256.Create(a2[ak]);
                    c20 = Vector256.FusedMultiplyAdd(va, vb0, c20);
                    c21 = Vector256.FusedMultiplyAdd(va, vb1, c21);
                    va = Vector256.Create(a3[ak]);
                    c30 = Vector256.FusedMultiplyAdd(va, vb0, c30);
                    c31 = Vector256.FusedMultiplyAdd(va, vb1, c31);
                }
                c00.Store(cr0); c01.Store(cr0 + V);
                if (rows > 1) { c10.Store(cr1); c11.Store(cr1 + V); }
                if (rows > 2) { c20.Store(cr2); c21.Store(cr2 + V); }
                if (rows > 3) { c30.Store(cr3); c31.Store(cr3 + V); }
            }
        }
        for (; n < cols; n++)
        {
            for (int r = 0; r < rows; r++)
            {
                float* ar = a + ((long)r * aRow);
                float sum = accumulate ? c[((long)r * ldc) + n] : 0f;
                for (int k = k0; k < k1; k++)
                {
                    sum = MathF.FusedMultiplyAdd(ar[(long)k * aK], b[((long)k * ldb) + n], sum);
                }
                c[((long)r * ldc) + n] = sum;
            }
        }
    }
}
