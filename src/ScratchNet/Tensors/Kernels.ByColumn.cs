// The weight gradient of a mini-batch, C = scale·Aᵀ·B (dW = (1/m)·dZᵀ·X), one column of B at a time:
// for column i of B (a pixel, when B is an image batch) the rows k where B[k, i] is not zero are
// listed, and Cᵀ[i, ·] = Σ over that list of B[k, i]·A[k, ·], in vectors along A's rows (the units,
// dense), eight vectors of sums in registers; then C = scale·(Cᵀ)ᵀ group by group. An image batch is zero over 81 %
// of its values, and a pixel's own list skips all of them, where the outer-product tiles
// (Kernels.OuterTiles) can skip an example only where it is zero over a whole pass of 8 to 32 columns
// (39–73 % of the values are in such passes). Each element is the chain of fused multiply-adds of
// those tiles over the same k in the same order, less terms B[k, i]·A[k, u] with B[k, i] = ±0, which
// add ±0 to a sum that is never −0 and so change nothing: the same bits.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

internal static unsafe partial class Kernels
{
    /// <summary>Most rows (examples) the column-by-column weight gradient takes: a mini-batch.</summary>
    private const int ByColumnMaxRows = 256;

    /// <summary>Columns of B per work item of the column-by-column weight gradient.</summary>
    private const int ByColumnGroup = 16;

    /// <summary>
    /// Whether <see cref="MatMulAtB"/> runs column by column: a mini-batch (K ≤ 256), at least eight vectors of A's
    /// columns (32, 64 or 128 units by width, one pass of eight vectors of sums), and a B mostly zero — at most 45 %
    /// of its values not zero at 128 bits, 25 % wider, where the outer-product tiles' register reuse wins (measured
    /// on MNIST batches, 19 %, and on dense ones; docs/benchmarks.md). Either way the bits are the same.
    /// </summary>
    private static bool ByColumns(float[] b, int K, int M, int N) =>
        K <= ByColumnMaxRows && Simd.Has128 && M >= 8 * Simd.Width / 32
        && SampledDensity(b, K, N) <= (Simd.Widest == VectorWidth.Bits128 ? 0.45 : 0.25);

    /// <summary>The fraction of B's values that are not ±0 in up to eight of its rows, spread over it.</summary>
    private static double SampledDensity(float[] b, int K, int N)
    {
        int rows = Math.Min(8, K), nonZeros = 0;
        fixed (float* pb = b)
        {
            for (int r = 0; r < rows; r++)
            {
                float* row = pb + ((long)(r * K / rows) * N);
                int n = 0;
                for (; n + 4 <= N; n += 4)
                {
                    nonZeros += 4 - System.Numerics.BitOperations.PopCount(Vector128.Equals(Vector128.Load(row + n), Vector128<float>.Zero).ExtractMostSignificantBits());
                }
                for (; n < N; n++)
                {
                    nonZeros += row[n] != 0f ? 1 : 0;
                }
            }
        }
        return rows == 0 || N == 0 ? 1 : (double)nonZeros / ((long)rows * N);
    }

    /// <summary>C[M,N] = scale·A[K,M]ᵀ·B[K,N] (K ≤ 256), column by column of B over the rows where it is not zero: <see cref="MatMulAtBByTiles"/>'s bits.</summary>
    internal static void MatMulAtBByColumns(Matrix A, Matrix B, float scale, Matrix C)
    {
        int K = A.Rows, M = A.Cols, N = B.Cols;
        ReferenceKernels.Check(B.Rows == K && C.Rows == M && C.Cols == N && K <= ByColumnMaxRows, "MatMulAtBByColumns", A, B, C);
        float[] a = A.Storage, b = B.Storage, c = C.Storage;
        float[] transposed = System.Buffers.ArrayPool<float>.Shared.Rent(N * M);   // Cᵀ [N, M]
        int words = (K + 63) / 64;
        try
        {
            Workers.For(Pieces.Covering(N, ByColumnGroup), group =>
            {
                int i0 = group * ByColumnGroup, i1 = Math.Min(N, i0 + ByColumnGroup);
                // bit k of column p's mask: B[k, i0 + p] is not ±0 (the rows it sums over, in order)
                ulong* masks = stackalloc ulong[ByColumnGroup * ByColumnMaxRows / 64];
                new Span<ulong>(masks, ByColumnGroup * words).Clear();
                fixed (float* pa = a, pb = b, pt = transposed)
                {
                    for (int k = 0; k < K; k++)
                    {
                        for (uint m = NonZeros(pb + ((long)k * N) + i0, i1 - i0); m != 0; m &= m - 1)
                        {
                            int p = System.Numerics.BitOperations.TrailingZeroCount(m);
                            masks[(p * words) + (k >> 6)] |= 1UL << (k & 63);
                        }
                    }
                    for (int i = i0; i < i1; i++)
                    {
                        ColumnSums(pa, M, M, pb + i, N, masks + ((i - i0) * words), words, pt + ((long)i * M));
                    }
                    // C[·, i0..i1) = scale·(the group's rows of Cᵀ)ᵀ, while they are in this core's cache
                    fixed (float* pc = c)
                    {
                        Transpose.Matrix(pt + ((long)i0 * M), i1 - i0, M, M, pc + i0, N, scale);
                    }
                }
            });
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(transposed);
        }
    }

    /// <summary>Bit p set where x[p] is not ±0, for p &lt; n ≤ 16 (four 128-bit compares for a full group).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint NonZeros(float* x, int n)
    {
        if (n == ByColumnGroup)
        {
            uint zero = Vector128.Equals(Vector128.Load(x), Vector128<float>.Zero).ExtractMostSignificantBits()
                | (Vector128.Equals(Vector128.Load(x + 4), Vector128<float>.Zero).ExtractMostSignificantBits() << 4)
                | (Vector128.Equals(Vector128.Load(x + 8), Vector128<float>.Zero).ExtractMostSignificantBits() << 8)
                | (Vector128.Equals(Vector128.Load(x + 12), Vector128<float>.Zero).ExtractMostSignificantBits() << 12);
            return ~zero & 0xFFFF;
        }
        uint m = 0;
        for (int p = 0; p < n; p++)
        {
            m |= x[p] != 0f ? 1u << p : 0u;
        }
        return m;
    }

    /// <summary>out[u] = Σ_k column[k·ldb]·a[k·lda + u] for u &lt; <paramref name="units"/> over the rows k set in <paramref name="mask"/>, in order: eight vectors at a time at the widest width, then one, then single values.</summary>
    private static void ColumnSums(float* a, int lda, int units, float* column, int ldb, ulong* mask, int words, float* output)
    {
        int u = Simd.Widest switch
        {
            VectorWidth.Bits512 => ColumnSums<Lanes512, Vector512<float>>(a, lda, units, column, ldb, mask, words, output),
            VectorWidth.Bits256 => ColumnSums<Lanes256, Vector256<float>>(a, lda, units, column, ldb, mask, words, output),
            VectorWidth.Bits128 => ColumnSums<Lanes128, Vector128<float>>(a, lda, units, column, ldb, mask, words, output),
            _ => 0,
        };
        for (; u < units; u++)
        {
            float s = 0f;
            for (int w = 0; w < words; w++)
            {
                for (ulong bits = mask[w]; bits != 0; bits &= bits - 1)
                {
                    long k = (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits);
                    s = Simd.MulAdd(column[k * ldb], a[(k * lda) + u], s);
                }
            }
            output[u] = s;
        }
    }

    /// <summary>The sums over whole vectors of units; returns where it stopped (fewer than a vector left).</summary>
    private static int ColumnSums<TL, TV>(float* a, int lda, int units, float* column, int ldb, ulong* mask, int words, float* output)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int L = TL.Count, u = 0;
        for (; u + (8 * L) <= units; u += 8 * L)
        {
            TV s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            float* au = a + u;
            for (int w = 0; w < words; w++)
            {
                for (ulong bits = mask[w]; bits != 0; bits &= bits - 1)
                {
                    long k = (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits);
                    TV x = TL.Create(column[k * ldb]);
                    float* row = au + (k * lda);
                    s0 = TL.MulAdd(x, TL.Load(row), s0);
                    s1 = TL.MulAdd(x, TL.Load(row + L), s1);
                    s2 = TL.MulAdd(x, TL.Load(row + (2 * L)), s2);
                    s3 = TL.MulAdd(x, TL.Load(row + (3 * L)), s3);
                    s4 = TL.MulAdd(x, TL.Load(row + (4 * L)), s4);
                    s5 = TL.MulAdd(x, TL.Load(row + (5 * L)), s5);
                    s6 = TL.MulAdd(x, TL.Load(row + (6 * L)), s6);
                    s7 = TL.MulAdd(x, TL.Load(row + (7 * L)), s7);
                }
            }
            float* o = output + u;
            TL.Store(s0, o);
            TL.Store(s1, o + L);
            TL.Store(s2, o + (2 * L));
            TL.Store(s3, o + (3 * L));
            TL.Store(s4, o + (4 * L));
            TL.Store(s5, o + (5 * L));
            TL.Store(s6, o + (6 * L));
            TL.Store(s7, o + (7 * L));
        }
        for (; u + L <= units; u += L)
        {
            TV s = default;
            float* au = a + u;
            for (int w = 0; w < words; w++)
            {
                for (ulong bits = mask[w]; bits != 0; bits &= bits - 1)
                {
                    long k = (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits);
                    s = TL.MulAdd(TL.Create(column[k * ldb]), TL.Load(au + (k * lda)), s);
                }
            }
            TL.Store(s, output + u);
        }
        return u;
    }
}
