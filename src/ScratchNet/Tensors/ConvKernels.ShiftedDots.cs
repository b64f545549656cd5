// The stride-1 weight gradient's dot products (ConvKernels.Shifted spreads the maps and places dZ):
// dW[o, k] = Σ_n placed[o, n]·stack[n + offsets[k]], tiles of 4 filters × 4 shifted rows (2 × 4 where
// there are 16 vector registers), each sum a chain of fused multiply-adds lane by lane, then the lanes
// summed. Where a tile row's accumulators fit in L1 the columns go in chunks, the accumulators waiting
// in memory between them: the same chains, so the same sums.
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

internal static unsafe partial class ConvKernels
{
    /// <summary>
    /// dW [O, C·K·K] += Σ_n placed[o, n]·stack[n + offsets[k]]: dZ at the output positions against the shifted input
    /// rows, dot products over the group's <paramref name="columns"/> (a multiple of the vector width; placed is zero past
    /// the output positions). 4 filters × 4 rows of accumulators where there are 32 registers, else 2 × 4.
    /// </summary>
    private static void ShiftedDots(float* placed, long ldp, int O, float* stack, int* offsets, int CKK, long columns, float* dW)
    {
        switch (Simd.Widest)
        {
            case VectorWidth.Bits512: ShiftedDots<Lanes512, Vector512<float>>(placed, ldp, O, stack, offsets, CKK, columns, dW); break;
            case VectorWidth.Bits256: ShiftedDots<Lanes256, Vector256<float>>(placed, ldp, O, stack, offsets, CKK, columns, dW); break;
            case VectorWidth.Bits128: ShiftedDots<Lanes128, Vector128<float>>(placed, ldp, O, stack, offsets, CKK, columns, dW); break;
            default: ShiftedDots<LanesScalar, float>(placed, ldp, O, stack, offsets, CKK, columns, dW); break;
        }
    }

    private static void ShiftedDots<TL, TV>(float* placed, long ldp, int O, float* stack, int* offsets, int CKK, long columns, float* dW)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int OT = TileRows == 8 ? 4 : 2, L = TL.Count, kTiles = (CKK + 3) / 4;
        // When a tile row's accumulators fit beside the data in L1, the columns go in chunks: a chunk of the filters' dZ
        // rows and of the stack stays in L1 while every tile of the row runs over it, and each tile's sixteen vector sums
        // wait in memory between chunks — the same chains of multiply-adds, lane by lane, so the same sums
        bool chunked = kTiles * 16 * L <= ChunkedAccumulators;
        long chunk = chunked ? ChunkColumns : columns;
        float* acc = stackalloc float[(chunked ? kTiles : 1) * 16 * L];
        for (int o = 0; o < O; o += OT)
        {
            int rows = Math.Min(OT, O - o);
            if (chunked)
            {
                new Span<float>(acc, kTiles * 16 * L).Clear();
                for (long n0 = 0; n0 < columns; n0 += chunk)
                {
                    long n1 = Math.Min(columns, n0 + chunk);
                    for (int t = 0; t < kTiles; t++)
                    {
                        int k = 4 * t;
                        ShiftedDotTile<TL, TV>(placed, ldp, o, rows, stack, offsets, k, Math.Min(4, CKK - k), n0, n1, acc + (t * 16 * L));
                    }
                }
                for (int t = 0; t < kTiles; t++)
                {
                    int k = 4 * t;
                    AddTileSums<TL, TV>(acc + (t * 16 * L), rows, Math.Min(4, CKK - k), dW + ((long)o * CKK) + k, CKK);
                }
                continue;
            }
            for (int k = 0; k < CKK; k += 4)
            {
                new Span<float>(acc, 16 * L).Clear();
                ShiftedDotTile<TL, TV>(placed, ldp, o, rows, stack, offsets, k, Math.Min(4, CKK - k), 0, columns, acc);
                AddTileSums<TL, TV>(acc, rows, Math.Min(4, CKK - k), dW + ((long)o * CKK) + k, CKK);
            }
        }
    }

    /// <summary>
    /// Floats of accumulators a chunked tile row may keep (16 KB: patches of up to 16 values, such as a first layer's
    /// 3×3 over one channel). Measured (a 32-image step, both in one process): 1×28×28 → 8 and → 32, 7–10 % faster
    /// chunked; 8×14×14 → 16 (72-value patches) 12 % slower with 256-column chunks, so larger patches run unchunked.
    /// </summary>
    private const int ChunkedAccumulators = 4096;

    /// <summary>Columns per chunk (a multiple of every vector width).</summary>
    private const int ChunkColumns = 512;

    /// <summary>
    /// acc[16 vectors] += the tile's products over columns [n0, n1): acc[(i·4 + j)·L …] += Σ_n placed[(o + i)·ldp + n]·stack[offsets[k + j] + n]
    /// for i &lt; rows, j &lt; ks; missing rows reuse the first.
    /// </summary>
    private static void ShiftedDotTile<TL, TV>(float* placed, long ldp, int o, int rows, float* stack, int* offsets, int k, int ks, long n0, long n1, float* acc)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int L = TL.Count;
        bool four = TileRows == 8;
        float* z0 = placed + (o * ldp);
        float* z1 = rows > 1 ? z0 + ldp : z0, z2 = rows > 2 ? z0 + (2 * ldp) : z0, z3 = rows > 3 ? z0 + (3 * ldp) : z0;
        float* x0 = stack + offsets[k];
        float* x1 = stack + offsets[ks > 1 ? k + 1 : k], x2 = stack + offsets[ks > 2 ? k + 2 : k], x3 = stack + offsets[ks > 3 ? k + 3 : k];
        TV s00 = TL.Load(acc), s01 = TL.Load(acc + L), s02 = TL.Load(acc + (2 * L)), s03 = TL.Load(acc + (3 * L));
        TV s10 = TL.Load(acc + (4 * L)), s11 = TL.Load(acc + (5 * L)), s12 = TL.Load(acc + (6 * L)), s13 = TL.Load(acc + (7 * L));
        TV s20 = TL.Load(acc + (8 * L)), s21 = TL.Load(acc + (9 * L)), s22 = TL.Load(acc + (10 * L)), s23 = TL.Load(acc + (11 * L));
        TV s30 = TL.Load(acc + (12 * L)), s31 = TL.Load(acc + (13 * L)), s32 = TL.Load(acc + (14 * L)), s33 = TL.Load(acc + (15 * L));
        for (long n = n0; n < n1; n += L)
        {
            TV za = TL.Load(z0 + n), zb = TL.Load(z1 + n);
            TV zc = four ? TL.Load(z2 + n) : default, zd = four ? TL.Load(z3 + n) : default;
            TV v = TL.Load(x0 + n);
            s00 = TL.MulAdd(za, v, s00); s10 = TL.MulAdd(zb, v, s10);
            if (four) { s20 = TL.MulAdd(zc, v, s20); s30 = TL.MulAdd(zd, v, s30); }
            v = TL.Load(x1 + n);
            s01 = TL.MulAdd(za, v, s01); s11 = TL.MulAdd(zb, v, s11);
            if (four) { s21 = TL.MulAdd(zc, v, s21); s31 = TL.MulAdd(zd, v, s31); }
            v = TL.Load(x2 + n);
            s02 = TL.MulAdd(za, v, s02); s12 = TL.MulAdd(zb, v, s12);
            if (four) { s22 = TL.MulAdd(zc, v, s22); s32 = TL.MulAdd(zd, v, s32); }
            v = TL.Load(x3 + n);
            s03 = TL.MulAdd(za, v, s03); s13 = TL.MulAdd(zb, v, s13);
            if (four) { s23 = TL.MulAdd(zc, v, s23); s33 = TL.MulAdd(zd, v, s33); }
        }
        TL.Store(s00, acc); TL.Store(s01, acc + L); TL.Store(s02, acc + (2 * L)); TL.Store(s03, acc + (3 * L));
        TL.Store(s10, acc + (4 * L)); TL.Store(s11, acc + (5 * L)); TL.Store(s12, acc + (6 * L)); TL.Store(s13, acc + (7 * L));
        if (four)
        {
            TL.Store(s20, acc + (8 * L)); TL.Store(s21, acc + (9 * L)); TL.Store(s22, acc + (10 * L)); TL.Store(s23, acc + (11 * L));
            TL.Store(s30, acc + (12 * L)); TL.Store(s31, acc + (13 * L)); TL.Store(s32, acc + (14 * L)); TL.Store(s33, acc + (15 * L));
        }
    }

    /// <summary>dW[i·ldw + j] += the lanes of acc's vector (i·4 + j) summed, for i &lt; rows, j &lt; ks.</summary>
    private static void AddTileSums<TL, TV>(float* acc, int rows, int ks, float* dW, int ldw)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int L = TL.Count;
        for (int i = 0; i < rows; i++)
        {
            float* a = acc + (i * 4 * L);
            AddSums(dW + (i * (long)ldw), ks, TL.Sum(TL.Load(a)), TL.Sum(TL.Load(a + L)), TL.Sum(TL.Load(a + (2 * L))), TL.Sum(TL.Load(a + (3 * L))));
        }
    }

    /// <summary>row[j] += the j-th of (a, b, c, d) for j &lt; ks.</summary>
    private static void AddSums(float* row, int ks, float a, float b, float c, float d)
    {
        row[0] += a;
        if (ks > 1) row[1] += b;
        if (ks > 2) row[2] += c;
        if (ks > 3) row[3] += d;
    }
}
