// The dot-product tiles under the forward product (Kernels.MatMulABt): one row, 2×4 and 4×2 tiles,
// and at 512 bits 4×8 tiles over B packed in pairs with the 256-bit dots' bits, each written once over
// ILanes and run at the machine's widest vectors (the outer-product tiles are in Kernels.OuterTiles).
// Every output element is one fixed chain of fused multiply-adds in k order, so a tile's size never
// changes the bits; the tiles leave out only what is zero (ChunkList), which changes none either.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

internal static unsafe partial class Kernels
{
    /// <summary>
    /// Dot products run with 256-bit vectors where the machine has them (AVX2 and AVX-512 machines
    /// give the same bits), else 128-bit, else scalar: the horizontal sum groups lanes by width.
    /// </summary>
    private static VectorWidth DotWidth
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        get => Simd.Widest >= VectorWidth.Bits256 ? VectorWidth.Bits256 : Simd.Widest;
    }

    /// <summary>Floats per vector of the dot products (8, 4 or 1): the chunks a <see cref="ChunkList"/> lists.</summary>
    private static int DotLanes
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        get => DotWidth switch { VectorWidth.Bits256 => 8, VectorWidth.Bits128 => 4, _ => 1 };
    }

    /// <summary>Dot product of two K-vectors: one vector of fused multiply-adds, its lanes summed, then the tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Dot(float* x, float* y, int K) => DotWidth switch
    {
        VectorWidth.Bits256 => Dot<Lanes256, Vector256<float>>(x, y, K),
        VectorWidth.Bits128 => Dot<Lanes128, Vector128<float>>(x, y, K),
        _ => Dot<LanesScalar, float>(x, y, K),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot<TL, TV>(float* x, float* y, int K) where TL : struct, ILanes<TV> where TV : struct
    {
        int k = 0, L = TL.Count;
        TV acc = default;
        for (; k + L <= K; k += L)
        {
            acc = TL.MulAdd(TL.Load(x + k), TL.Load(y + k), acc);
        }
        float sum = TL.Sum(acc);
        for (; k < K; k++)
        {
            sum = Simd.MulAdd(x[k], y[k], sum);
        }
        return sum;
    }

    /// <summary>
    /// c[q] = dot(a, b row q) for q &lt; cols: four rows of b at a time, each with its own accumulator, so every
    /// element follows the same operations as <see cref="Dot"/> and <see cref="DotTile4x2"/> (the same bits).
    /// </summary>
    internal static void DotRow(float* a, int K, float* b, int ldb, int cols, float* c, ChunkList chunks)
    {
        switch (DotWidth)
        {
            case VectorWidth.Bits256: DotRow<Lanes256, Vector256<float>>(a, K, b, ldb, cols, c, chunks); break;
            case VectorWidth.Bits128: DotRow<Lanes128, Vector128<float>>(a, K, b, ldb, cols, c, chunks); break;
            default: DotRow<LanesScalar, float>(a, K, b, ldb, cols, c, chunks); break;
        }
    }

    private static void DotRow<TL, TV>(float* a, int K, float* b, int ldb, int cols, float* c, ChunkList chunks)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int L = TL.Count, q = 0;
        for (; q + 4 <= cols; q += 4)
        {
            float* b0 = b + ((long)q * ldb), b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
            TV s0 = default, s1 = default, s2 = default, s3 = default;
            for (int t = 0; t < chunks.Count; t++)
            {
                int k = chunks.Starts[t];
                TV va = TL.Load(a + k);
                s0 = TL.MulAdd(va, TL.Load(b0 + k), s0);
                s1 = TL.MulAdd(va, TL.Load(b1 + k), s1);
                s2 = TL.MulAdd(va, TL.Load(b2 + k), s2);
                s3 = TL.MulAdd(va, TL.Load(b3 + k), s3);
            }
            float r0 = TL.Sum(s0), r1 = TL.Sum(s1), r2 = TL.Sum(s2), r3 = TL.Sum(s3);
            for (int k = K / L * L; k < K; k++)
            {
                r0 = Simd.MulAdd(a[k], b0[k], r0);
                r1 = Simd.MulAdd(a[k], b1[k], r1);
                r2 = Simd.MulAdd(a[k], b2[k], r2);
                r3 = Simd.MulAdd(a[k], b3[k], r3);
            }
            c[q] = r0;
            c[q + 1] = r1;
            c[q + 2] = r2;
            c[q + 3] = r3;
        }
        for (; q < cols; q++)
        {
            c[q] = Dot<TL, TV>(a, b + ((long)q * ldb), K);
        }
    }

    /// <summary>
    /// c[r·ldc + q] = dot(a row r, b row q) for r &lt; rows (≤ 2), q &lt; 4: two images over four units, so the chunks
    /// two images leave zero (61 % of an MNIST pair's 4-float chunks, 52 % of four images') are skipped. Every element
    /// follows the same operations as <see cref="Dot"/> (row 1 reuses row 0 where <paramref name="rows"/> is 1, not stored).
    /// </summary>
    internal static void DotTile2x4(float* a, int lda, int rows, float* b, int ldb, float* c, int ldc, ChunkList chunks)
    {
        switch (DotWidth)
        {
            case VectorWidth.Bits256: DotTile2x4<Lanes256, Vector256<float>>(a, lda, rows, b, ldb, c, ldc, chunks); break;
            case VectorWidth.Bits128: DotTile2x4<Lanes128, Vector128<float>>(a, lda, rows, b, ldb, c, ldc, chunks); break;
            default: DotTile2x4<LanesScalar, float>(a, lda, rows, b, ldb, c, ldc, chunks); break;
        }
    }

    private static void DotTile2x4<TL, TV>(float* a, int lda, int rows, float* b, int ldb, float* c, int ldc, ChunkList chunks)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int K = lda, L = TL.Count;
        float* a0 = a, a1 = rows > 1 ? a + lda : a;
        float* b0 = b, b1 = b + ldb, b2 = b + (2L * ldb), b3 = b + (3L * ldb);
        TV c00 = default, c01 = default, c02 = default, c03 = default;
        TV c10 = default, c11 = default, c12 = default, c13 = default;
        for (int t = 0; t < chunks.Count; t++)
        {
            int k = chunks.Starts[t];
            TV vb0 = TL.Load(b0 + k), vb1 = TL.Load(b1 + k), vb2 = TL.Load(b2 + k), vb3 = TL.Load(b3 + k);
            TV va = TL.Load(a0 + k);
            c00 = TL.MulAdd(va, vb0, c00);
            c01 = TL.MulAdd(va, vb1, c01);
            c02 = TL.MulAdd(va, vb2, c02);
            c03 = TL.MulAdd(va, vb3, c03);
            va = TL.Load(a1 + k);
            c10 = TL.MulAdd(va, vb0, c10);
            c11 = TL.MulAdd(va, vb1, c11);
            c12 = TL.MulAdd(va, vb2, c12);
            c13 = TL.MulAdd(va, vb3, c13);
        }
        int tail = K / L * L;   // the columns past the last whole vector, one by one
        // Every lane sum before the first call: a vector live across a call has no register to stay in (no SIMD register
        // survives a call on Unix x64), and without profile data the JIT then spills it inside the loop above, every chunk.
        float s00 = TL.Sum(c00), s01 = TL.Sum(c01), s02 = TL.Sum(c02), s03 = TL.Sum(c03);
        float s10 = TL.Sum(c10), s11 = TL.Sum(c11), s12 = TL.Sum(c12), s13 = TL.Sum(c13);
        Store(c, a0, s00, s01, s02, s03, b0, ldb, tail, K);
        if (rows > 1)
        {
            Store(c + ldc, a1, s10, s11, s12, s13, b0, ldb, tail, K);
        }

        static void Store(float* c, float* a, float s0, float s1, float s2, float s3, float* b, int ldb, int k, int K)
        {
            float* b1 = b + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
            for (; k < K; k++)
            {
                s0 = Simd.MulAdd(a[k], b[k], s0);
                s1 = Simd.MulAdd(a[k], b1[k], s1);
                s2 = Simd.MulAdd(a[k], b2[k], s2);
                s3 = Simd.MulAdd(a[k], b3[k], s3);
            }
            c[0] = s0;
            c[1] = s1;
            c[2] = s2;
            c[3] = s3;
        }
    }

    /// <summary>
    /// c[r·ldc + q] = dot(a row r, b row q) for r &lt; rows (≤ 4), q &lt; 2. Rows past <paramref name="rows"/>
    /// reuse row 0 and are not stored, so every stored element follows the same operations as
    /// <see cref="Dot"/>.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static void DotTile4x2(float* a, int lda, int rows, float* b, int ldb, float* c, int ldc, ChunkList chunks)
    {
        switch (DotWidth)
        {
            case VectorWidth.Bits256: DotTile4x2<Lanes256, Vector256<float>>(a, lda, rows, b, ldb, c, ldc, chunks); break;
            case VectorWidth.Bits128: DotTile4x2<Lanes128, Vector128<float>>(a, lda, rows, b, ldb, c, ldc, chunks); break;
            default: DotTile4x2<LanesScalar, float>(a, lda, rows, b, ldb, c, ldc, chunks); break;
        }
    }

    private static void DotTile4x2<TL, TV>(float* a, int lda, int rows, float* b, int ldb, float* c, int ldc, ChunkList chunks)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int K = lda, L = TL.Count;
        float* a0 = a;
        float* a1 = rows > 1 ? a + lda : a;
        float* a2 = rows > 2 ? a + (2L * lda) : a;
        float* a3 = rows > 3 ? a + (3L * lda) : a;
        float* b0 = b, b1 = b + ldb;
        TV c00 = default, c01 = default, c10 = default, c11 = default;
        TV c20 = default, c21 = default, c30 = default, c31 = default;
        for (int t = 0; t < chunks.Count; t++)
        {
            int k = chunks.Starts[t];
            TV vb0 = TL.Load(b0 + k), vb1 = TL.Load(b1 + k);
            TV va = TL.Load(a0 + k);
            c00 = TL.MulAdd(va, vb0, c00);
            c01 = TL.MulAdd(va, vb1, c01);
            va = TL.Load(a1 + k);
            c10 = TL.MulAdd(va, vb0, c10);
            c11 = TL.MulAdd(va, vb1, c11);
            va = TL.Load(a2 + k);
            c20 = TL.MulAdd(va, vb0, c20);
            c21 = TL.MulAdd(va, vb1, c21);
            va = TL.Load(a3 + k);
            c30 = TL.MulAdd(va, vb0, c30);
            c31 = TL.MulAdd(va, vb1, c31);
        }
        int tail = K / L * L;   // the columns past the last whole vector, one by one
        Store(c, TL.Sum(c00), TL.Sum(c01), a0, b0, b1, tail, K);
        if (rows > 1) Store(c + ldc, TL.Sum(c10), TL.Sum(c11), a1, b0, b1, tail, K);
        if (rows > 2) Store(c + (2L * ldc), TL.Sum(c20), TL.Sum(c21), a2, b0, b1, tail, K);
        if (rows > 3) Store(c + (3L * ldc), TL.Sum(c30), TL.Sum(c31), a3, b0, b1, tail, K);

        static void Store(float* c, float s0, float s1, float* a, float* b0, float* b1, int k, int K)
        {
            for (; k < K; k++)
            {
                s0 = Simd.MulAdd(a[k], b0[k], s0);
                s1 = Simd.MulAdd(a[k], b1[k], s1);
            }
            c[0] = s0;
            c[1] = s1;
        }
    }

    /// <summary>
    /// B's rows packed in pairs for <see cref="DotTile4x8Paired"/>: pair q holds, for each 8-float chunk k of the
    /// first K8 = ⌊K/8⌋·8 columns, the chunk of row 2q then the same chunk of row 2q + 1 (16 floats), so that one
    /// 512-bit load gives two rows' 256-bit vectors. Rows past an even count are left out.
    /// </summary>
    /// <remarks>Packs rows [<paramref name="first"/>, <paramref name="end"/>) of B (first even) into their places.</remarks>
    internal static void PackPairs(float* b, int first, int end, int K, float* pairs)
    {
        int K8 = K / 8 * 8;
        for (int q = first; q + 1 < end; q += 2)
        {
            float* r0 = b + ((long)q * K), r1 = r0 + K, dst = pairs + ((long)q * K8);
            for (int k = 0; k < K8; k += 8, dst += 16)
            {
                Vector256.Store(Vector256.Load(r0 + k), dst);
                Vector256.Store(Vector256.Load(r1 + k), dst + 8);
            }
        }
    }

    /// <summary>
    /// <see cref="DotTile4x2"/> for 4 rows × 8 columns on 512-bit vectors, with the same bits as the 256-bit dot
    /// products: each accumulator holds two columns' 256-bit chains side by side (B's rows packed by
    /// <see cref="PackPairs"/>, <paramref name="pairs"/> at these 8 columns' first pair), and a row's 8 floats are
    /// broadcast to both halves, so every lane sees the fused multiply-adds of <see cref="Dot"/> in the same order;
    /// each half is then summed as Lanes256 sums and the columns past K8 added one by one from B itself.
    /// </summary>
    internal static void DotTile4x8Paired(float* a, int lda, float* pairs, int K, float* b, int ldb, float* c, int ldc, ChunkList chunks)
    {
        int K8 = K / 8 * 8;
        long stride = 2L * K8;   // floats per pair
        float* a0 = a, a1 = a + lda, a2 = a + (2L * lda), a3 = a + (3L * lda);
        float* p0 = pairs, p1 = pairs + stride, p2 = pairs + (2 * stride), p3 = pairs + (3 * stride);
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        for (int t = 0; t < chunks.Count; t++)
        {
            int k = chunks.Starts[t], q = 2 * k;
            Vector512<float> b0 = Vector512.Load(p0 + q), b1 = Vector512.Load(p1 + q), b2 = Vector512.Load(p2 + q), b3 = Vector512.Load(p3 + q);
            Vector512<float> v = Both(a0 + k);
            c00 = Lanes512.MulAdd(v, b0, c00); c01 = Lanes512.MulAdd(v, b1, c01); c02 = Lanes512.MulAdd(v, b2, c02); c03 = Lanes512.MulAdd(v, b3, c03);
            v = Both(a1 + k);
            c10 = Lanes512.MulAdd(v, b0, c10); c11 = Lanes512.MulAdd(v, b1, c11); c12 = Lanes512.MulAdd(v, b2, c12); c13 = Lanes512.MulAdd(v, b3, c13);
            v = Both(a2 + k);
            c20 = Lanes512.MulAdd(v, b0, c20); c21 = Lanes512.MulAdd(v, b1, c21); c22 = Lanes512.MulAdd(v, b2, c22); c23 = Lanes512.MulAdd(v, b3, c23);
            v = Both(a3 + k);
            c30 = Lanes512.MulAdd(v, b0, c30); c31 = Lanes512.MulAdd(v, b1, c31); c32 = Lanes512.MulAdd(v, b2, c32); c33 = Lanes512.MulAdd(v, b3, c33);
        }
        StoreRow(c, a0, c00, c01, c02, c03, b, ldb, K8, K);
        StoreRow(c + ldc, a1, c10, c11, c12, c13, b, ldb, K8, K);
        StoreRow(c + (2L * ldc), a2, c20, c21, c22, c23, b, ldb, K8, K);
        StoreRow(c + (3L * ldc), a3, c30, c31, c32, c33, b, ldb, K8, K);

        // 8 floats in both halves: one broadcasting load where AVX-512 DQ has it (two inserts would take the shuffle port the multiply-adds share)
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<float> Both(float* p) => System.Runtime.Intrinsics.X86.Avx512DQ.IsSupported
            ? System.Runtime.Intrinsics.X86.Avx512DQ.BroadcastVector256ToVector512(p)
            : Vector512.Create(Vector256.Load(p));

        static void StoreRow(float* c, float* a, Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3, float* b, int ldb, int K8, int K)
        {
            Half(c, a, s0, b, ldb, K8, K);
            Half(c + 2, a, s1, b + (2L * ldb), ldb, K8, K);
            Half(c + 4, a, s2, b + (4L * ldb), ldb, K8, K);
            Half(c + 6, a, s3, b + (6L * ldb), ldb, K8, K);
        }

        static void Half(float* c, float* a, Vector512<float> s, float* b, int ldb, int K8, int K)
        {
            float r0 = Lanes256.Sum(s.GetLower()), r1 = Lanes256.Sum(s.GetUpper());
            float* b1 = b + ldb;
            for (int k = K8; k < K; k++)
            {
                r0 = Simd.MulAdd(a[k], b[k], r0);
                r1 = Simd.MulAdd(a[k], b1[k], r1);
            }
            c[0] = r0;
            c[1] = r1;
        }
    }
}
