// The first layer's products with a sparse input X (CSR), skipping zero pixels:
//   forward          Z = X·Wᵀ + b      row by row, one FMA per non-zero and output vector
//   weight gradient  dW = s·dZᵀ·X      per block of 256 rows, the block's non-zeros regrouped by
//                                      pixel so each pixel's row of dWᵀ is loaded and stored once
// W is kept transposed and padded, Wt [in, outPad] with outPad a multiple of 8, so one pixel's
// weights are contiguous vectors. Pieces are fixed by the shapes: thread-count independent.
// Leaves out: the input gradient (the first layer needs none).
using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

public static unsafe class SparseKernels
{
    private const int V = 8;
    private const int RowsPerPiece = 256;   // forward
    private const int Strip = 64;           // output columns per work item in the weight gradient
    private const int Wide = 128;           // outputs per pass of the wide forward gather

    private static bool Vectorised => Simd.Has256;

    /// <summary>outPad: <paramref name="outputs"/> rounded up to a multiple of 8.</summary>
    public static int Padded(int outputs) => (outputs + V - 1) / V * V;

    /// <summary>Wt [in, outPad] = Wᵀ, zero-padded, from W [out, in].</summary>
    public static void TransposePadded(Matrix W, float[] Wt)
    {
        int outputs = W.Rows, inputs = W.Cols, pad = Padded(outputs);
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
                        int width = Simd.Has512 && pad - n0 >= Wide ? Wide : Math.Min(2 * V, pad - n0);
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

    /// <summary>acc[0..128) = Σ_e values[e]·w[columns[e]·ldw .. + 128): eight 16-lane accumulators stay in registers while the entries stream by once.</summary>
    internal static void GatherWide(ushort* columns, float* values, int count, float* w, int ldw, float* acc)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int e = 0; e < count; e++)
        {
            var x = Vector512.Create(values[e]);
            float* row = w + ((long)columns[e] * ldw);
            a0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row), a0);
            a1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row + 16), a1);
            a2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row + 32), a2);
            a3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row + 48), a3);
            a4 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row + 64), a4);
            a5 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row + 80), a5);
            a6 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row + 96), a6);
            a7 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row + 112), a7);
        }
        a0.Store(acc);
        a1.Store(acc + 16);
        a2.Store(acc + 32);
        a3.Store(acc + 48);
        a4.Store(acc + 64);
        a5.Store(acc + 80);
        a6.Store(acc + 96);
        a7.Store(acc + 112);
    }

    /// <summary>
    /// acc[0..width) = Σ_e values[e]·w[columns[e]·ldw .. + width), width 8 or 16: two entries per
    /// step into separate accumulators (so the additions do not wait on each other), added at the end.
    /// </summary>
    internal static void Gather(ushort* columns, float* values, int count, float* w, int ldw, int width, float* acc)
    {
        if (Simd.Has512 && width == 2 * V)
        {
            // The same per-lane operations as the two-Vector256 path below, in half the instructions.
            Vector512<float> a = default, b = default;
            int e = 0;
            for (; e + 2 <= count; e += 2)
            {
                a = Vector512.FusedMultiplyAdd(Vector512.Create(values[e]), Vector512.Load(w + ((long)columns[e] * ldw)), a);
                b = Vector512.FusedMultiplyAdd(Vector512.Create(values[e + 1]), Vector512.Load(w + ((long)columns[e + 1] * ldw)), b);
            }
            if (e < count)
            {
                a = Vector512.FusedMultiplyAdd(Vector512.Create(values[e]), Vector512.Load(w + ((long)columns[e] * ldw)), a);
            }
            (a + b).Store(acc);
            return;
        }
        if (Vectorised)
        {
            Vector256<float> a0 = default, a1 = default, b0 = default, b1 = default;
            int e = 0;
            if (width == 2 * V)
            {
                for (; e + 2 <= count; e += 2)
                {
                    var x = Vector256.Create(values[e]);
                    var y = Vector256.Create(values[e + 1]);
                    float* wx = w + ((long)columns[e] * ldw), wy = w + ((long)columns[e + 1] * ldw);
                    a0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(wx), a0);
                    a1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(wx + V), a1);
                    b0 = Vector256.FusedMultiplyAdd(y, Vector256.Load(wy), b0);
                    b1 = Vector256.FusedMultiplyAdd(y, Vector256.Load(wy + V), b1);
                }
                if (e < count)
                {
                    var x = Vector256.Create(values[e]);
                    float* wx = w + ((long)columns[e] * ldw);
                    a0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(wx), a0);
                    a1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(wx + V), a1);
                }
                (a0 + b0).Store(acc);
                (a1 + b1).Store(acc + V);
            }
            else
            {
                for (; e + 2 <= count; e += 2)
                {
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Create(values[e]), Vector256.Load(w + ((long)columns[e] * ldw)), a0);
                    b0 = Vector256.FusedMultiplyAdd(Vector256.Create(values[e + 1]), Vector256.Load(w + ((long)columns[e + 1] * ldw)), b0);
                }
                if (e < count)
                {
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Create(values[e]), Vector256.Load(w + ((long)columns[e] * ldw)), a0);
                }
                (a0 + b0).Store(acc);
            }
            return;
        }
        for (int v = 0; v < width; v++)
        {
            float a = 0f, b = 0f;
            int e = 0;
            for (; e + 2 <= count; e += 2)
            {
                a = MathF.FusedMultiplyAdd(values[e], w[((long)columns[e] * ldw) + v], a);
                b = MathF.FusedMultiplyAdd(values[e + 1], w[((long)columns[e + 1] * ldw) + v], b);
            }
            if (e < count)
            {
                a = MathF.FusedMultiplyAdd(values[e], w[((long)columns[e] * ldw) + v], a);
            }
            acc[v] = a + b;
        }
    }

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

    /// <summary>dst[0..width) += Σ_e values[e]·dz[rows[e]·width ..), width a multiple of 8; two entries per step.</summary>
    internal static void AccumulatePixel(byte* rows, float* values, int count, float* dz, int width, float* dst)
    {
        if (Simd.Has512 && width == 2 * V)
        {
            // The same per-lane operations as the two-Vector256 path below, in half the instructions.
            Vector512<float> a = default, b = default;
            int e = 0;
            for (; e + 2 <= count; e += 2)
            {
                a = Vector512.FusedMultiplyAdd(Vector512.Create(values[e]), Vector512.Load(dz + (rows[e] * width)), a);
                b = Vector512.FusedMultiplyAdd(Vector512.Create(values[e + 1]), Vector512.Load(dz + (rows[e + 1] * width)), b);
            }
            if (e < count)
            {
                a = Vector512.FusedMultiplyAdd(Vector512.Create(values[e]), Vector512.Load(dz + (rows[e] * width)), a);
            }
            (Vector512.Load(dst) + (a + b)).Store(dst);
            return;
        }
        if (Simd.Has512 && width == Strip)
        {
            // A strip of 64: four 16-lane accumulators, one pass over the pixel's entries.
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int e = 0; e < count; e++)
            {
                var x = Vector512.Create(values[e]);
                float* row = dz + (rows[e] * Strip);
                s0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row), s0);
                s1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row + 16), s1);
                s2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row + 32), s2);
                s3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(row + 48), s3);
            }
            (Vector512.Load(dst) + s0).Store(dst);
            (Vector512.Load(dst + 16) + s1).Store(dst + 16);
            (Vector512.Load(dst + 32) + s2).Store(dst + 32);
            (Vector512.Load(dst + 48) + s3).Store(dst + 48);
            return;
        }
        float* acc = stackalloc float[2 * V];
        for (int n = 0; n < width; n += 2 * V)
        {
            int w = Math.Min(2 * V, width - n);
            if (Vectorised)
            {
                Vector256<float> a0 = default, a1 = default, b0 = default, b1 = default;
                int e = 0;
                for (; e + 2 <= count; e += 2)
                {
                    float* dx = dz + (rows[e] * width) + n, dy = dz + (rows[e + 1] * width) + n;
                    var x = Vector256.Create(values[e]);
                    var y = Vector256.Create(values[e + 1]);
                    a0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(dx), a0);
                    b0 = Vector256.FusedMultiplyAdd(y, Vector256.Load(dy), b0);
                    if (w == 2 * V)
                    {
                        a1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(dx + V), a1);
                        b1 = Vector256.FusedMultiplyAdd(y, Vector256.Load(dy + V), b1);
                    }
                }
                if (e < count)
                {
                    float* dx = dz + (rows[e] * width) + n;
                    var x = Vector256.Create(values[e]);
                    a0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(dx), a0);
                    if (w == 2 * V)
                    {
                        a1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(dx + V), a1);
                    }
                }
                (Vector256.Load(dst + n) + (a0 + b0)).Store(dst + n);
                if (w == 2 * V)
                {
                    (Vector256.Load(dst + n + V) + (a1 + b1)).Store(dst + n + V);
                }
                continue;
            }
            for (int v = 0; v < w; v++)
            {
                float a = 0f, b = 0f;
                int e = 0;
                for (; e + 2 <= count; e += 2)
                {
                    a = MathF.FusedMultiplyAdd(values[e], dz[(rows[e] * width) + n + v], a);
                    b = MathF.FusedMultiplyAdd(values[e + 1], dz[(rows[e + 1] * width) + n + v], b);
                }
                if (e < count)
                {
                    a = MathF.FusedMultiplyAdd(values[e], dz[(rows[e] * width) + n + v], a);
                }
                acc[v] = a + b;
            }
            for (int v = 0; v < w; v++)
            {
                dst[n + v] += acc[v];
            }
        }
    }
}
