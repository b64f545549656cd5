// The outer-product tiles under the weight gradient (Kernels.MatMulAtB, MatMulAB): 4 rows × 2
// vectors of columns in registers, summed over a range of k or over the k a ChunkList names (the
// examples not zero over a pass's columns), written once over ILanes and run at the widest vectors.
// Every output element is one fixed chain of fused multiply-adds in k order, so the tile's width
// never changes the bits; the rows it leaves out are zero over its columns, which changes none either.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

internal static unsafe partial class Kernels
{
    /// <summary>
    /// Outer-product tile: for r &lt; rows (≤ 4) and n &lt; cols,
    /// c[r·ldc + n] (+)= Σ_{k0 ≤ k &lt; k1} a[r·aRow + k·aK]·b[k·ldb + n], summed in k order with fused
    /// multiply-adds. Columns come two vectors at a time in registers, the widest vectors first, the
    /// rest narrower and finally one at a time; every element sees the same operations in the same order.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static void OuterTile(float* a, int aRow, int aK, int rows, float* b, int ldb, int k0, int k1, int cols, float* c, int ldc, bool accumulate)
    {
        var keys = new KeyRange(k0);
        int n = 0, count = k1 - k0;
        if (Simd.Has512)
        {
            n = OuterColumns<Lanes512, Vector512<float>, KeyRange>(a, aRow, aK, rows, b, ldb, keys, count, n, cols, c, ldc, accumulate);
        }
        if (Simd.Has256 && n < cols)
        {
            n = OuterColumns<Lanes256, Vector256<float>, KeyRange>(a, aRow, aK, rows, b, ldb, keys, count, n, cols, c, ldc, accumulate);
        }
        if (Simd.Has128 && n < cols)
        {
            n = OuterColumns<Lanes128, Vector128<float>, KeyRange>(a, aRow, aK, rows, b, ldb, keys, count, n, cols, c, ldc, accumulate);
        }
        if (n < cols)
        {
            n = OuterColumns<LanesScalar, float, KeyRange>(a, aRow, aK, rows, b, ldb, keys, count, n, cols, c, ldc, accumulate);
        }
        for (; n < cols; n++)
        {
            for (int r = 0; r < rows; r++)
            {
                float* ar = a + ((long)r * aRow);
                float sum = accumulate ? c[((long)r * ldc) + n] : 0f;
                for (int k = k0; k < k1; k++)
                {
                    sum = Simd.MulAdd(ar[(long)k * aK], b[((long)k * ldb) + n], sum);
                }
                c[((long)r * ldc) + n] = sum;
            }
        }
    }

    /// <summary>Columns per pass of <see cref="OuterChunk"/>: two of the widest vectors (or 2 floats without vectors).</summary>
    internal static int OuterChunkWidth
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Simd.Widest switch { VectorWidth.Bits512 => 32, VectorWidth.Bits256 => 16, VectorWidth.Bits128 => 8, _ => 2 };
    }

    /// <summary>
    /// <see cref="OuterTile"/> over columns 0 … <see cref="OuterChunkWidth"/> − 1 and only the rows k that
    /// <paramref name="keys"/> lists (in order): the rows it leaves out are zero over these columns and would add
    /// a·0 to every element, so each element is the chain of <see cref="OuterTile"/> over all rows, bit for bit.
    /// </summary>
    internal static void OuterChunk(float* a, int aRow, int aK, int rows, float* b, int ldb, ChunkList keys, float* c, int ldc, bool accumulate)
    {
        var list = new KeyList(keys.Starts);
        int width = OuterChunkWidth;
        switch (Simd.Widest)
        {
            case VectorWidth.Bits512: OuterColumns<Lanes512, Vector512<float>, KeyList>(a, aRow, aK, rows, b, ldb, list, keys.Count, 0, width, c, ldc, accumulate); break;
            case VectorWidth.Bits256: OuterColumns<Lanes256, Vector256<float>, KeyList>(a, aRow, aK, rows, b, ldb, list, keys.Count, 0, width, c, ldc, accumulate); break;
            case VectorWidth.Bits128: OuterColumns<Lanes128, Vector128<float>, KeyList>(a, aRow, aK, rows, b, ldb, list, keys.Count, 0, width, c, ldc, accumulate); break;
            default: OuterColumns<LanesScalar, float, KeyList>(a, aRow, aK, rows, b, ldb, list, keys.Count, 0, width, c, ldc, accumulate); break;
        }
    }

    /// <summary>Which rows k an outer-product tile sums over, in order: t ↦ k.</summary>
    private interface IKeys
    {
        int At(int t);
    }

    /// <summary>k = first + t: every row of a range.</summary>
    private readonly struct KeyRange(int first) : IKeys
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int At(int t) => first + t;
    }

    /// <summary>k = keys[t]: the listed rows.</summary>
    private readonly unsafe struct KeyList(int* keys) : IKeys
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int At(int t) => keys[t];
    }

    /// <summary>Columns n … of the tile, two vectors (4 rows × 2 vectors of accumulators) per pass; returns where it stopped.</summary>
    private static int OuterColumns<TL, TV, TK>(float* a, int aRow, int aK, int rows, float* b, int ldb, TK keys, int count, int n, int cols, float* c, int ldc, bool accumulate)
        where TL : struct, ILanes<TV> where TV : struct where TK : struct, IKeys
    {
        int L = TL.Count;
        float* a0 = a;
        float* a1 = rows > 1 ? a + aRow : a;
        float* a2 = rows > 2 ? a + (2L * aRow) : a;
        float* a3 = rows > 3 ? a + (3L * aRow) : a;
        for (; n + (2 * L) <= cols; n += 2 * L)
        {
            float* cr0 = c + n, cr1 = c + ldc + n, cr2 = c + (2L * ldc) + n, cr3 = c + (3L * ldc) + n;
            TV c00 = default, c01 = default, c10 = default, c11 = default;
            TV c20 = default, c21 = default, c30 = default, c31 = default;
            if (accumulate)
            {
                c00 = TL.Load(cr0); c01 = TL.Load(cr0 + L);
                if (rows > 1) { c10 = TL.Load(cr1); c11 = TL.Load(cr1 + L); }
                if (rows > 2) { c20 = TL.Load(cr2); c21 = TL.Load(cr2 + L); }
                if (rows > 3) { c30 = TL.Load(cr3); c31 = TL.Load(cr3 + L); }
            }
            for (int t = 0; t < count; t++)
            {
                int k = keys.At(t);
                float* bk = b + ((long)k * ldb) + n;
                TV vb0 = TL.Load(bk), vb1 = TL.Load(bk + L);
                long ak = (long)k * aK;
                TV va = TL.Create(a0[ak]);
                c00 = TL.MulAdd(va, vb0, c00);
                c01 = TL.MulAdd(va, vb1, c01);
                va = TL.Create(a1[ak]);
                c10 = TL.MulAdd(va, vb0, c10);
                c11 = TL.MulAdd(va, vb1, c11);
                va = TL.Create(a2[ak]);
                c20 = TL.MulAdd(va, vb0, c20);
                c21 = TL.MulAdd(va, vb1, c21);
                va = TL.Create(a3[ak]);
                c30 = TL.MulAdd(va, vb0, c30);
                c31 = TL.MulAdd(va, vb1, c31);
            }
            TL.Store(c00, cr0); TL.Store(c01, cr0 + L);
            if (rows > 1) { TL.Store(c10, cr1); TL.Store(c11, cr1 + L); }
            if (rows > 2) { TL.Store(c20, cr2); TL.Store(c21, cr2 + L); }
            if (rows > 3) { TL.Store(c30, cr3); TL.Store(c31, cr3 + L); }
        }
        return n;
    }
}
