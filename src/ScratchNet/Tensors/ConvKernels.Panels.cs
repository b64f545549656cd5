// The convolution's products over packed panels. Every operand the inner loops read is laid out in
// the order they read it, so each loop streams through contiguous memory (whole cache lines, no
// strided rows for the prefetcher to miss):
//   panels   B [N/PW][rows][PW]: columns n … n + PW − 1 of every row side by side (PW = two of the widest
//            vectors); the last panel's columns past N are zero
//   tiles    A [rows/R][K][R]: R rows of a matrix interleaved along k (R = 8 where there are 32 vector
//            registers, else 4), so a tile's R values at one k are one cache-line read
// C [rows, N] = A·B runs R × PW register tiles, each element one chain of fused multiply-adds in k order
// (the bits do not depend on the tile, the panel or the thread count). The weight gradient's
// A·Bᵀ over the columns is dot products along the panels, tiles of dZ rows × column rows in registers.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

internal static unsafe partial class ConvKernels
{
    /// <summary>Columns per panel: two of the widest vectors.</summary>
    internal static int PanelWidth
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Simd.Widest switch { VectorWidth.Bits512 => 32, VectorWidth.Bits256 => 16, VectorWidth.Bits128 => 8, _ => 2 };
    }

    /// <summary>Rows per register tile: 8 where there are 32 vector registers (AVX-512, ARM64), else 4.</summary>
    internal static int TileRows
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Simd.VectorRegisters >= 32 ? 8 : 4;
    }

    /// <summary>Floats of <paramref name="rows"/> rows × <paramref name="N"/> columns in panels (the last one padded).</summary>
    internal static long PanelFloats(long N, int rows) => (N + PanelWidth - 1) / PanelWidth * PanelWidth * rows;

    /// <summary>Floats of a matrix with <paramref name="rows"/> rows packed in tiles of <see cref="TileRows"/> (the last one padded).</summary>
    internal static int TileFloats(int rows, int K) => (rows + TileRows - 1) / TileRows * TileRows * K;

    /// <summary>
    /// dst [rows/R][K][R] = src rows in tiles: dst[t][k][r] = src[(t·R + r)·rowStride + k·kStride], zero for rows past
    /// <paramref name="rows"/>. W [O, CKK] packs with (CKK, 1); Wᵀ with (1, CKK).
    /// </summary>
    internal static void PackTiles(float* src, int rows, int K, int rowStride, int kStride, float* dst)
    {
        int R = TileRows;
        for (int t = 0; t < rows; t += R)
        {
            for (int r = 0; r < R; r++)
            {
                float* s = src + ((long)(t + r) * rowStride);
                float* d = dst + ((long)t * K) + r;
                if (t + r >= rows)
                {
                    for (int k = 0; k < K; k++)
                    {
                        d[(long)k * R] = 0f;
                    }
                    continue;
                }
                for (int k = 0; k < K; k++)
                {
                    d[(long)k * R] = s[(long)k * kStride];
                }
            }
        }
    }

    /// <summary>Writes src[0 … count) to row <paramref name="row"/> of the panels, columns n … n + count − 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ToPanels(float* src, int count, long n, int row, int rows, float* panels)
    {
        int PW = PanelWidth;
        long panel = n / PW, step = (long)rows * PW;
        int q = (int)(n - (panel * PW)), take = Math.Min(count, PW - q);
        float* dst = panels + (((panel * rows) + row) * PW);
        CopyShort(src, dst + q, take);
        for (src += take, count -= take, dst += step; count >= PW; src += PW, count -= PW, dst += step)
        {
            CopyShort(src, dst, PW);
        }
        CopyShort(src, dst, count);
    }

    /// <summary>
    /// dst[i] = src[i] for i &lt; count: a few floats, in vectors inline (a call to a general copy costs more than these
    /// moves). Whole vectors of the widest width that fits, the last one ending at count (overlapping the one before:
    /// those floats are written twice, the same): a row of 28 is two 512-bit moves, of 14 two 256-bit ones.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyShort(float* src, float* dst, int count)
    {
        if (Simd.Has512 && count >= 16)
        {
            for (int i = 0; i + 16 < count; i += 16)
            {
                Vector512.Store(Vector512.Load(src + i), dst + i);
            }
            Vector512.Store(Vector512.Load(src + count - 16), dst + count - 16);
        }
        else if (Simd.Has256 && count >= 8)
        {
            for (int i = 0; i + 8 < count; i += 8)
            {
                Vector256.Store(Vector256.Load(src + i), dst + i);
            }
            Vector256.Store(Vector256.Load(src + count - 8), dst + count - 8);
        }
        else if (Simd.Has128 && count >= 4)
        {
            for (int i = 0; i + 4 < count; i += 4)
            {
                Vector128.Store(Vector128.Load(src + i), dst + i);
            }
            Vector128.Store(Vector128.Load(src + count - 4), dst + count - 4);
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                dst[i] = src[i];
            }
        }
    }

    /// <summary>Zeroes the last panel's columns past <paramref name="N"/> in every row.</summary>
    private static void ClearPanelTail(float* panels, long N, int rows)
    {
        int PW = PanelWidth, used = (int)(N % PW);
        if (used == 0)
        {
            return;
        }
        float* last = panels + (N / PW * rows * PW);
        for (int r = 0; r < rows; r++)
        {
            ClearShort(last + ((long)r * PW) + used, PW - used);
        }
    }

    /// <summary>
    /// C [rows, N] (+)= A·B: A packed in tiles [rows/R][K][R], B in panels [N/PW][K][PW]; row r of C starts at
    /// c + r·ldc. Every element is Σ_k A[r, k]·B[k, n], one chain of fused multiply-adds in k order (starting from
    /// C's value with <paramref name="accumulate"/>).
    /// </summary>
    internal static void PanelProduct(float* tiles, int rows, int K, float* panels, long N, float* c, long ldc, bool accumulate = false) =>
        PanelProduct(tiles, rows, K, new PackedPanels(panels, K, PanelWidth), N, c, ldc, accumulate);

    /// <summary><see cref="PanelProduct(float*, int, int, float*, long, float*, long, bool)"/> with B's rows wherever <paramref name="columns"/> says.</summary>
    internal static void PanelProduct<TB>(float* tiles, int rows, int K, TB columns, long N, float* c, long ldc, bool accumulate = false)
        where TB : struct, IPanelSource<TB>
    {
        switch (Simd.Widest)
        {
            case VectorWidth.Bits512: PanelProduct<Lanes512, Vector512<float>, TB>(tiles, rows, K, columns, N, c, ldc, accumulate); break;
            case VectorWidth.Bits256: PanelProduct<Lanes256, Vector256<float>, TB>(tiles, rows, K, columns, N, c, ldc, accumulate); break;
            case VectorWidth.Bits128: PanelProduct<Lanes128, Vector128<float>, TB>(tiles, rows, K, columns, N, c, ldc, accumulate); break;
            default: PanelProduct<LanesScalar, float, TB>(tiles, rows, K, columns, N, c, ldc, accumulate); break;
        }
    }

    private static void PanelProduct<TL, TV, TB>(float* tiles, int rows, int K, TB columns, long N, float* c, long ldc, bool accumulate)
        where TL : struct, ILanes<TV> where TV : struct where TB : struct, IPanelSource<TB>
    {
        int R = TileRows, PW = 2 * TL.Count;
        float* edge = stackalloc float[8 * 32];   // a tile that does not fit C: computed whole here, then its part copied
        for (long n = 0; n < N; n += PW)
        {
            TB b = columns.At(n);
            int width = (int)Math.Min(PW, N - n);
            for (int t = 0; t < rows; t += R)
            {
                float* a = tiles + ((long)t * K);
                int height = Math.Min(R, rows - t);
                if (width == PW && height == R)
                {
                    PanelTile<TL, TV, TB>(a, b, K, c + (t * ldc) + n, ldc, accumulate);
                    continue;
                }
                for (int r = 0; r < height && accumulate; r++)
                {
                    CopyShort(c + ((t + r) * ldc) + n, edge + (r * PW), width);
                }
                PanelTile<TL, TV, TB>(a, b, K, edge, PW, accumulate);
                for (int r = 0; r < height; r++)
                {
                    CopyShort(edge + (r * PW), c + ((t + r) * ldc) + n, width);
                }
            }
        }
    }

    /// <summary>An R × 2-vector tile: c[r·ldc + q] (+)= Σ_k a[k·R + r]·B[k, q], accumulators in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PanelTile<TL, TV, TB>(float* a, TB b, int K, float* c, long ldc, bool accumulate)
        where TL : struct, ILanes<TV> where TV : struct where TB : struct, IPanelSource<TB>
    {
        int L = TL.Count, R = TileRows;
        bool eight = R == 8;
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        TV c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        if (accumulate)
        {
            float* cr = c;
            c00 = TL.Load(cr); c01 = TL.Load(cr + L); cr += ldc;
            c10 = TL.Load(cr); c11 = TL.Load(cr + L); cr += ldc;
            c20 = TL.Load(cr); c21 = TL.Load(cr + L); cr += ldc;
            c30 = TL.Load(cr); c31 = TL.Load(cr + L);
            if (eight)
            {
                cr += ldc;
                c40 = TL.Load(cr); c41 = TL.Load(cr + L); cr += ldc;
                c50 = TL.Load(cr); c51 = TL.Load(cr + L); cr += ldc;
                c60 = TL.Load(cr); c61 = TL.Load(cr + L); cr += ldc;
                c70 = TL.Load(cr); c71 = TL.Load(cr + L);
            }
        }
        for (int k = 0; k < K; k++, a += R)
        {
            float* row = b.Row(k);
            TV b0 = TL.Load(row), b1 = TL.Load(row + L);
            TV v = TL.Create(a[0]);
            c00 = TL.MulAdd(v, b0, c00); c01 = TL.MulAdd(v, b1, c01);
            v = TL.Create(a[1]);
            c10 = TL.MulAdd(v, b0, c10); c11 = TL.MulAdd(v, b1, c11);
            v = TL.Create(a[2]);
            c20 = TL.MulAdd(v, b0, c20); c21 = TL.MulAdd(v, b1, c21);
            v = TL.Create(a[3]);
            c30 = TL.MulAdd(v, b0, c30); c31 = TL.MulAdd(v, b1, c31);
            if (eight)
            {
                v = TL.Create(a[4]);
                c40 = TL.MulAdd(v, b0, c40); c41 = TL.MulAdd(v, b1, c41);
                v = TL.Create(a[5]);
                c50 = TL.MulAdd(v, b0, c50); c51 = TL.MulAdd(v, b1, c51);
                v = TL.Create(a[6]);
                c60 = TL.MulAdd(v, b0, c60); c61 = TL.MulAdd(v, b1, c61);
                v = TL.Create(a[7]);
                c70 = TL.MulAdd(v, b0, c70); c71 = TL.MulAdd(v, b1, c71);
            }
        }
        TL.Store(c00, c); TL.Store(c01, c + L); c += ldc;
        TL.Store(c10, c); TL.Store(c11, c + L); c += ldc;
        TL.Store(c20, c); TL.Store(c21, c + L); c += ldc;
        TL.Store(c30, c); TL.Store(c31, c + L);
        if (eight)
        {
            c += ldc;
            TL.Store(c40, c); TL.Store(c41, c + L); c += ldc;
            TL.Store(c50, c); TL.Store(c51, c + L); c += ldc;
            TL.Store(c60, c); TL.Store(c61, c + L); c += ldc;
            TL.Store(c70, c); TL.Store(c71, c + L);
        }
    }

    /// <summary>
    /// dW [O, CKK] += dZ·colsᵀ over one group as dot products along the panels, for patches narrower than a panel
    /// (turning them would leave most of each panel empty): dZ in panels [N/PW][O][PW], the columns in panels
    /// [N/PW][CKK][PW], both zero past N. Each dW[o, k] gathers one vector of lane sums, summed across its lanes at the end.
    /// </summary>
    internal static void PanelDots(float* dzPanels, int O, float* colPanels, int CKK, long N, float* dW)
    {
        switch (Simd.Widest)
        {
            case VectorWidth.Bits512: PanelDots<Lanes512, Vector512<float>>(dzPanels, O, colPanels, CKK, N, dW); break;
            case VectorWidth.Bits256: PanelDots<Lanes256, Vector256<float>>(dzPanels, O, colPanels, CKK, N, dW); break;
            case VectorWidth.Bits128: PanelDots<Lanes128, Vector128<float>>(dzPanels, O, colPanels, CKK, N, dW); break;
            default: PanelDots<LanesScalar, float>(dzPanels, O, colPanels, CKK, N, dW); break;
        }
    }

    private static void PanelDots<TL, TV>(float* dzPanels, int O, float* colPanels, int CKK, long N, float* dW)
        where TL : struct, ILanes<TV> where TV : struct
    {
        for (int o = 0; o < O; o += 2)
        {
            for (int k = 0; k < CKK; k += 4)
            {
                DotTile<TL, TV>(dzPanels, O, o, Math.Min(2, O - o), colPanels, CKK, k, Math.Min(4, CKK - k), N, dW);
            }
        }
    }

    /// <summary>dW[o + i, k + j] += Σ_n dZ[o + i, n]·cols[k + j, n] for i &lt; rows (≤ 2), j &lt; ks (≤ 4): rows past these reuse the first (not stored).</summary>
    private static void DotTile<TL, TV>(float* dzPanels, int O, int o, int rows, float* colPanels, int CKK, int k, int ks, long N, float* dW)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int L = TL.Count, PW = 2 * L;
        int z1 = rows > 1 ? 1 : 0, x1 = ks > 1 ? 1 : 0, x2 = ks > 2 ? 2 : 0, x3 = ks > 3 ? 3 : 0;
        TV s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
        long panels = (N + PW - 1) / PW;
        for (long p = 0; p < panels; p++)
        {
            float* z = dzPanels + (((p * O) + o) * PW);
            float* x = colPanels + (((p * CKK) + k) * PW);
            for (int q = 0; q < PW; q += L)
            {
                TV za = TL.Load(z + q), zb = TL.Load(z + (z1 * PW) + q);
                TV v = TL.Load(x + q);
                s00 = TL.MulAdd(za, v, s00); s10 = TL.MulAdd(zb, v, s10);
                v = TL.Load(x + (x1 * PW) + q);
                s01 = TL.MulAdd(za, v, s01); s11 = TL.MulAdd(zb, v, s11);
                v = TL.Load(x + (x2 * PW) + q);
                s02 = TL.MulAdd(za, v, s02); s12 = TL.MulAdd(zb, v, s12);
                v = TL.Load(x + (x3 * PW) + q);
                s03 = TL.MulAdd(za, v, s03); s13 = TL.MulAdd(zb, v, s13);
            }
        }
        AddSums(dW + ((long)o * CKK) + k, ks, TL.Sum(s00), TL.Sum(s01), TL.Sum(s02), TL.Sum(s03));
        if (rows > 1)
        {
            AddSums(dW + ((long)(o + 1) * CKK) + k, ks, TL.Sum(s10), TL.Sum(s11), TL.Sum(s12), TL.Sum(s13));
        }
    }

    /// <summary>
    /// The panels [N/PW][rows][PW] turned: panels [rows/PW][Npad][PW] of the transpose (Npad = N rounded up to panels),
    /// 16×16 blocks through registers where the machine has them. Columns past <paramref name="rows"/> are left alone.
    /// </summary>
    private static void TransposePanels(float* panels, int rows, long N, float* turned)
    {
        int PW = PanelWidth;
        long count = (N + PW - 1) / PW, Npad = count * PW;
        for (long p = 0; p < count; p++)
        {
            for (int r = 0; r < rows; r += PW)
            {
                Transpose.Matrix(panels + (((p * rows) + r) * PW), Math.Min(PW, rows - r), PW, PW, turned + ((long)r * Npad) + (p * PW * PW), PW);
            }
        }
    }

    /// <summary>
    /// dZ_g in tiles [O/R][Npad][R]: tile t, column g·P + j, row r holds dZ[n0 + g, t·R + r, j] (zero past O and past G·P).
    /// Sixteen filters' planes at a time are turned in <paramref name="turn"/> [P][16] (16×16 blocks through registers), then dealt to their tiles.
    /// </summary>
    private static void GatherTiles(float* dZ, ConvShape shape, int n0, int G, int Npad, float* tiles, float* turn)
    {
        int O = shape.Filters, P = shape.Output.Plane, R = TileRows;
        new Span<float>(tiles, TileFloats(O, Npad)).Clear();
        for (int g = 0; g < G; g++)
        {
            float* planes = dZ + ((long)(n0 + g) * O * P);
            for (int o = 0; o < O; o += 16)
            {
                int count = Math.Min(16, O - o);
                Transpose.Matrix(planes + ((long)o * P), count, P, P, turn, 16);
                for (int r0 = 0; r0 < count; r0 += R)
                {
                    int t = o + r0, take = Math.Min(R, count - r0);
                    float* d = tiles + ((long)t * Npad) + ((long)g * P * R);
                    for (int j = 0; j < P; j++)
                    {
                        CopyShort(turn + (j * 16) + r0, d + ((long)j * R), take);
                    }
                }
            }
        }
    }
}

/// <summary>Where the B operand of a panel product keeps its rows: row k of columns n … n + PW − 1.</summary>
internal unsafe interface IPanelSource<TSelf> where TSelf : struct, IPanelSource<TSelf>
{
    /// <summary>The source moved to columns n ….</summary>
    TSelf At(long n);

    /// <summary>Row k of the current PW columns (PW floats in a row).</summary>
    float* Row(int k);
}

/// <summary>Panels [N/PW][K][PW]: each panel's K rows of PW columns one after another.</summary>
internal readonly unsafe struct PackedPanels(float* start, int K, int PW) : IPanelSource<PackedPanels>
{
    private readonly float* start = start;

    public PackedPanels At(long n) => new(start + (n * K), K, PW);

    public float* Row(int k) => start + ((long)k * PW);
}

/// <summary>Rows as shifts of one spread stack of maps: row k of column n is at start + n + offsets[k] (ConvKernels.Shifted).</summary>
internal readonly unsafe struct ShiftedRows(float* start, int* offsets) : IPanelSource<ShiftedRows>
{
    private readonly float* start = start;
    private readonly int* offsets = offsets;

    public ShiftedRows At(long n) => new(start + n, offsets);

    public float* Row(int k) => start + offsets[k];
}
