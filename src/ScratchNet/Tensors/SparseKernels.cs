// The first layer's products with a sparse input X (CSR), skipping zero pixels:
//   forward          Z = X·Wᵀ + b      row by row, one FMA per non-zero and output vector
//   weight gradient  dW = s·dZᵀ·X      per block of 256 rows, the block's non-zeros regrouped by
//                                      pixel so each pixel's row of dWᵀ is loaded and stored once
// W is kept transposed and padded, Wt [in, outPad] with outPad a multiple of 8, so one pixel's
// weights are contiguous vectors. Pieces are fixed by the shapes: thread-count independent.
// Leaves out: the input gradient (the first layer needs none).
using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

internal static unsafe partial class SparseKernels
{
    private const int V = 8;
    private const int RowsPerPiece = 256;   // forward
    private const int Strip = 64;           // output columns per work item in the weight gradient
    private const int Wide = 128;           // outputs per pass of the wide forward gather

    /// <summary>outPad: <paramref name="outputs"/> rounded up to a multiple of 8.</summary>
    public static int Padded(int outputs) => (outputs + V - 1) / V * V;

    /// <summary>Wt [in, pad] = Wᵀ, zero-padded, from W [out, in]; pad defaults to <see cref="Padded"/>(out).</summary>
    public static void TransposePadded(Matrix W, float[] Wt, int pad = 0)
    {
        int outputs = W.Rows, inputs = W.Cols;
        pad = pad > 0 ? pad : Padded(outputs);
        if (Wt.Length < inputs * pad)
        {
            throw new ArgumentException($"Wt holds {Wt.Length} values; [{inputs}, {pad}] needs {inputs * pad}.");
        }
        fixed (float* w = W.Storage, wt = Wt)
        {
            Transpose.Matrix(w, outputs, inputs, inputs, wt, pad);
            for (int k = 0; k < inputs && pad > outputs; k++)
            {
                new Span<float>(wt + ((long)k * pad) + outputs, pad - outputs).Clear();
            }
        }
    }

    /// <summary>Z[m, N] = X[m, K]·Wᵀ + b, with Wt [K, Padded(N)] = Wᵀ. Forward of the first layer.</summary>
    public static void MatMulABt(SparseBatch X, float[] Wt, float[]? bias, Matrix Z)
    {
        int m = X.Rows, N = Z.Cols, pad = Padded(N);
        if (Z.Rows != m || Wt.Length < X.Cols * pad)
        {
            throw new ArgumentException($"Sparse MatMulABt: shapes do not fit: X {X}, Wt {Wt.Length} values, Z {Z}.");
        }
        int[] rowStart = X.RowStartArray;
        ushort[] index = X.IndexArray;
        float[] value = X.ValueArray, z = Z.Storage;
        Workers.For((m + RowsPerPiece - 1) / RowsPerPiece, piece =>
        {
            int i0 = piece * RowsPerPiece, i1 = Math.Min(m, i0 + RowsPerPiece);
            float* acc = stackalloc float[Wide];
            fixed (float* pw = Wt, pv = value, pz = z)
            fixed (ushort* pi = index)
            {
                for (int i = i0; i < i1; i++)
                {
                    int e0 = rowStart[i], e1 = rowStart[i + 1];
                    float* zRow = pz + ((long)i * N);
                    for (int n0 = 0; n0 < pad;)
                    {
                        // 128 outputs per pass over the row's non-zeros where they fit, else 16 or 8.
                        int width = pad - n0 >= Wide ? Wide : Math.Min(2 * V, pad - n0);
                        if (width == Wide)
                        {
                            GatherWide(pi + e0, pv + e0, e1 - e0, pw + n0, pad, acc);
                        }
                        else
                        {
                            Gather(pi + e0, pv + e0, e1 - e0, pw + n0, pad, width, acc);
                        }
                        int count = Math.Min(width, N - n0);
                        for (int v = 0; v < count; v++)
                        {
                            zRow[n0 + v] = bias is null ? acc[v] : acc[v] + bias[n0 + v];
                        }
                        n0 += width;
                    }
                }
            }
        });
    }

    /// <summary>acc[0..128) = Σ_e values[e]·w[columns[e]·ldw .. + 128): eight accumulators stay in registers while the entries stream by once per 8 vectors of outputs.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static void GatherWide(ushort* columns, float* values, int count, float* w, int ldw, float* acc)
    {
        switch (Simd.Widest)
        {
            case VectorWidth.Bits512: GatherWide<Lanes512, Vector512<float>>(columns, values, count, w, ldw, acc); break;
            case VectorWidth.Bits256: GatherWide<Lanes256, Vector256<float>>(columns, values, count, w, ldw, acc); break;
            case VectorWidth.Bits128: GatherWide<Lanes128, Vector128<float>>(columns, values, count, w, ldw, acc); break;
            default: GatherWide<LanesScalar, float>(columns, values, count, w, ldw, acc); break;
        }
    }

    private static void GatherWide<TL, TV>(ushort* columns, float* values, int count, float* w, int ldw, float* acc)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int L = TL.Count;
        for (int n = 0; n < Wide; n += 8 * L)
        {
            TV a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (int e = 0; e < count; e++)
            {
                TV x = TL.Create(values[e]);
                float* row = w + ((long)columns[e] * ldw) + n;
                a0 = TL.MulAdd(x, TL.Load(row), a0);
                a1 = TL.MulAdd(x, TL.Load(row + L), a1);
                a2 = TL.MulAdd(x, TL.Load(row + (2 * L)), a2);
                a3 = TL.MulAdd(x, TL.Load(row + (3 * L)), a3);
                a4 = TL.MulAdd(x, TL.Load(row + (4 * L)), a4);
                a5 = TL.MulAdd(x, TL.Load(row + (5 * L)), a5);
                a6 = TL.MulAdd(x, TL.Load(row + (6 * L)), a6);
                a7 = TL.MulAdd(x, TL.Load(row + (7 * L)), a7);
            }
            float* out0 = acc + n;
            TL.Store(a0, out0);
            TL.Store(a1, out0 + L);
            TL.Store(a2, out0 + (2 * L));
            TL.Store(a3, out0 + (3 * L));
            TL.Store(a4, out0 + (4 * L));
            TL.Store(a5, out0 + (5 * L));
            TL.Store(a6, out0 + (6 * L));
            TL.Store(a7, out0 + (7 * L));
        }
    }

    /// <summary>
    /// acc[0..width) = Σ_e values[e]·w[columns[e]·ldw .. + width), width a multiple of 8: two entries
    /// per step into separate accumulators (so the additions do not wait on each other), added at the
    /// end. The widest vectors take what they can, narrower ones the rest: every lane sees the same operations.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static void Gather(ushort* columns, float* values, int count, float* w, int ldw, int width, float* acc) =>
        SparseSums(columns, values, count, w, ldw, width, acc, add: false);

    /// <summary>The gather at one width: outputs n … in passes of vectors; returns where it stopped (fewer than a vector left).</summary>
    internal static int Gather<TL, TV>(ushort* columns, float* values, int count, float* w, int ldw, int n, int width, float* acc)
        where TL : struct, ILanes<TV> where TV : struct =>
        SparseSums<TL, TV, ushort>(columns, values, count, w, ldw, n, width, acc, add: false);

    /// <summary>dW[N, K] = scale·dZ[m, N]ᵀ·X[m, K]. Weight gradient of the first layer.</summary>
    public static void MatMulAtB(Matrix dZ, SparseBatch X, float scale, Matrix dW)
    {
        int m = X.Rows, K = X.Cols, N = dZ.Cols, pad = Padded(N);
        if (dZ.Rows != m || dW.Rows != N || dW.Cols != K)
        {
            throw new ArgumentException($"Sparse MatMulAtB: shapes do not fit: dZ {dZ}, X {X}, dW {dW}.");
        }
        int pieces = Pieces.Count(m);
        int perPiece = (m + pieces - 1) / pieces;
        Span<int> pieceStarts = stackalloc int[pieces + 1];
        for (int p = 0; p <= pieces; p++)
        {
            pieceStarts[p] = Math.Min(m, p * perPiece);
        }
        PixelMajorBlocks layout = PixelMajorBlocks.For(X, pieceStarts);
        int[] firstBlock = new int[pieces + 1];
        for (int p = 0, b = 0; p <= pieces; p++)
        {
            while (b < layout.Blocks && layout.BlockRowStart[b] < pieceStarts[Math.Min(p, pieces)])
            {
                b++;
            }
            firstBlock[p] = p == pieces ? layout.Blocks : b;
        }
        int strips = (pad + Strip - 1) / Strip;
        int partialSize = K * pad;
        float[] partials = ArrayPool<float>.Shared.Rent(pieces * partialSize);
        try
        {
            Workers.For(pieces * strips, item =>
            {
                int piece = item / strips, strip = item % strips;
                int n0 = strip * Strip, n1 = Math.Min(pad, n0 + Strip);
                AccumulatePiece(dZ, layout, firstBlock[piece], firstBlock[piece + 1], K, n0, n1, partials.AsSpan(piece * partialSize, partialSize), pad);
            });
            // dW[n, k] = scale · Σ_pieces partial[k, n]: pieces added in order into the first, then
            // transposed and scaled in blocks, sixteen rows of dW per work item.
            for (int p = 1; p < pieces; p++)
            {
                TensorPrimitives.Add(partials.AsSpan(0, partialSize), partials.AsSpan(p * partialSize, partialSize), partials.AsSpan(0, partialSize));
            }
            float[] dw = dW.Storage;
            Workers.For((N + 15) / 16, stripe =>
            {
                int n0 = stripe * 16;
                fixed (float* src = partials, dst = dw)
                {
                    Transpose.Matrix(src + n0, K, Math.Min(16, N - n0), pad, dst + ((long)n0 * K), K, scale);
                }
            });
        }
        finally
        {
            ArrayPool<float>.Shared.Return(partials);
        }
    }

    /// <summary>partial[k, n0..n1) = Σ over the blocks' rows of dZ[row, n]·X[row, k], pixel by pixel within each block.</summary>
    private static void AccumulatePiece(Matrix dZ, PixelMajorBlocks layout, int firstBlock, int endBlock, int K, int n0, int n1, Span<float> partial, int pad)
    {
        int N = dZ.Cols, width = n1 - n0;
        for (int k = 0; k < K; k++)
        {
            partial.Slice((k * pad) + n0, width).Clear();
        }
        float[] dzBlock = ArrayPool<float>.Shared.Rent(PixelMajorBlocks.BlockRows * width);
        try
        {
            fixed (float* pPartial = partial, pdz = dzBlock, pev = layout.EntryValue)
            fixed (byte* per = layout.EntryRow)
            fixed (int* pcol = layout.ColStart)
            {
                for (int b = firstBlock; b < endBlock; b++)
                {
                    int r0 = layout.BlockRowStart[b], r1 = layout.BlockRowStart[b + 1];
                    // The block's dZ columns n0..n1, zero-padded: [rows, width].
                    for (int i = r0; i < r1; i++)
                    {
                        Span<float> dst = dzBlock.AsSpan((i - r0) * width, width);
                        dst.Clear();
                        int count = Math.Min(width, N - n0);
                        if (count > 0)
                        {
                            dZ.Row(i).Slice(n0, count).CopyTo(dst);
                        }
                    }
                    int* cols = pcol + ((long)b * (K + 1));
                    for (int k = 0; k < K; k++)
                    {
                        int e0 = cols[k], e1 = cols[k + 1];
                        if (e1 > e0)
                        {
                            AccumulatePixel(per + e0, pev + e0, e1 - e0, pdz, width, pPartial + (k * pad) + n0);
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(dzBlock);
        }
    }

    /// <summary>
    /// dst[0..width) += Σ_e values[e]·dz[rows[e]·width ..), width a multiple of 8. A strip of 64: one
    /// accumulator per vector, one pass over the pixel's entries per four vectors. Narrower: two entries
    /// per step into separate accumulators, the widest vectors first. Every lane sees the same operations at every width.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static void AccumulatePixel(byte* rows, float* values, int count, float* dz, int width, float* dst)
    {
        if (width == Strip)
        {
            switch (Simd.Widest)
            {
                case VectorWidth.Bits512: AccumulateStrip<Lanes512, Vector512<float>>(rows, values, count, dz, dst); break;
                case VectorWidth.Bits256: AccumulateStrip<Lanes256, Vector256<float>>(rows, values, count, dz, dst); break;
                case VectorWidth.Bits128: AccumulateStrip<Lanes128, Vector128<float>>(rows, values, count, dz, dst); break;
                default: AccumulateStrip<LanesScalar, float>(rows, values, count, dz, dst); break;
            }
            return;
        }
        SparseSums(rows, values, count, dz, width, width, dst, add: true);
    }

    private static void AccumulateStrip<TL, TV>(byte* rows, float* values, int count, float* dz, float* dst)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int L = TL.Count;
        for (int n = 0; n < Strip; n += 4 * L)
        {
            TV s0 = default, s1 = default, s2 = default, s3 = default;
            for (int e = 0; e < count; e++)
            {
                TV x = TL.Create(values[e]);
                float* row = dz + (rows[e] * Strip) + n;
                s0 = TL.MulAdd(x, TL.Load(row), s0);
                s1 = TL.MulAdd(x, TL.Load(row + L), s1);
                s2 = TL.MulAdd(x, TL.Load(row + (2 * L)), s2);
                s3 = TL.MulAdd(x, TL.Load(row + (3 * L)), s3);
            }
            float* d = dst + n;
            TL.Store(TL.Add(TL.Load(d), s0), d);
            TL.Store(TL.Add(TL.Load(d + L), s1), d + L);
            TL.Store(TL.Add(TL.Load(d + (2 * L)), s2), d + (2 * L));
            TL.Store(TL.Add(TL.Load(d + (3 * L)), s3), d + (3 * L));
        }
    }

    /// <summary>The pixel accumulation at one width: columns n … of dst in passes of vectors; returns where it stopped.</summary>
    internal static int AccumulatePairs<TL, TV>(byte* rows, float* values, int count, float* dz, int width, int n, float* dst)
        where TL : struct, ILanes<TV> where TV : struct =>
        SparseSums<TL, TV, byte>(rows, values, count, dz, width, n, width, dst, add: true);
}
