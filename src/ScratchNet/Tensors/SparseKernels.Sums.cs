// The sums the sparse gather (forward, Z1 row by row) and the pixel accumulation (weight gradient,
// dW1ᵀ pixel by pixel) share: out (=, or +=) Σ_e value[e]·table[index[e]·stride + n …], written once
// over ILanes and run at the widest vectors first, narrower ones for the rest. Two entries per step
// go into separate accumulators, added at the end; a lane sees the same operations at every width.
using System.Numerics;
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

internal static unsafe partial class SparseKernels
{
    /// <summary>
    /// The sums the gather and the pixel accumulation share: out[0..width) = (or += where
    /// <paramref name="add"/>) Σ_e values[e]·table[index[e]·stride ..), the widest vectors first and
    /// narrower ones for the rest, so every lane sees the same operations at every width.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void SparseSums<TI>(TI* index, float* values, int count, float* table, int stride, int width, float* output, bool add)
        where TI : unmanaged, IBinaryInteger<TI>
    {
        int n = 0;
        if (Simd.Has512)
        {
            n = SparseSums<Lanes512, Vector512<float>, TI>(index, values, count, table, stride, n, width, output, add);
        }
        if (Simd.Has256 && n < width)
        {
            n = SparseSums<Lanes256, Vector256<float>, TI>(index, values, count, table, stride, n, width, output, add);
        }
        if (Simd.Has128 && n < width)
        {
            n = SparseSums<Lanes128, Vector128<float>, TI>(index, values, count, table, stride, n, width, output, add);
        }
        if (n < width)
        {
            SparseSums<LanesScalar, float, TI>(index, values, count, table, stride, n, width, output, add);
        }
    }

    /// <summary>
    /// Outputs n … at one width: two entries per step into separate accumulators (so the additions do
    /// not wait on each other), added at the end; passes of four vectors (narrow ones), three (12
    /// outputs at 128 bits), two, then one. Returns where it stopped (fewer than a vector left).
    /// </summary>
    private static int SparseSums<TL, TV, TI>(TI* index, float* values, int count, float* table, int stride, int n, int width, float* output, bool add)
        where TL : struct, ILanes<TV> where TV : struct where TI : unmanaged, IBinaryInteger<TI>
    {
        int L = TL.Count;
        for (; L <= 4 && n + (4 * L) <= width; n += 4 * L)
        {
            Quads<TL, TV, TI>(index, values, count, table, stride, n, output, add);
        }
        for (; L <= 4 && n + (3 * L) <= width; n += 3 * L)
        {
            Triples<TL, TV, TI>(index, values, count, table, stride, n, output, add);
        }
        for (; n + (2 * L) <= width; n += 2 * L)
        {
            Pairs<TL, TV, TI>(index, values, count, table, stride, n, output, add);
        }
        for (; n + L <= width; n += L)
        {
            Ones<TL, TV, TI>(index, values, count, table, stride, n, output, add);
        }
        return n;
    }

    /// <summary>
    /// Entry e's row of the table from column n: <paramref name="from"/> is table + n and <paramref name="stride"/>
    /// the row stride as a native integer, both taken once before a pass's loop (the JIT otherwise widens and adds
    /// them again for every entry, eight instructions of a loop step's forty-three at 128 bits).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static float* Row<TI>(float* from, TI* index, nint e, nint stride) where TI : unmanaged, IBinaryInteger<TI> =>
        from + (nint.CreateTruncating(index[e]) * stride);

    /// <summary>out = sum, or out += sum.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Put<TL, TV>(TV sum, float* at, bool add) where TL : struct, ILanes<TV> where TV : struct
    {
        if (add)
        {
            sum = TL.Add(TL.Load(at), sum);
        }
        TL.Store(sum, at);
    }

    // Each pass width is a method of its own: the JIT keeps every accumulator in a register.

    /// <summary>Four vectors of outputs from n (16 at 128 bits).</summary>
    private static void Quads<TL, TV, TI>(TI* index, float* values, int count, float* table, int stride, int n, float* output, bool add)
        where TL : struct, ILanes<TV> where TV : struct where TI : unmanaged, IBinaryInteger<TI>
    {
        int L = TL.Count;
        TV a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        float* from = table + n;
        nint ld = stride, e = 0;
        for (; e + 2 <= count; e += 2)
        {
            TV x = TL.Create(values[e]), y = TL.Create(values[e + 1]);
            float* rx = Row(from, index, e, ld), ry = Row(from, index, e + 1, ld);
            a0 = TL.MulAdd(x, TL.Load(rx), a0);
            a1 = TL.MulAdd(x, TL.Load(rx + L), a1);
            a2 = TL.MulAdd(x, TL.Load(rx + (2 * L)), a2);
            a3 = TL.MulAdd(x, TL.Load(rx + (3 * L)), a3);
            b0 = TL.MulAdd(y, TL.Load(ry), b0);
            b1 = TL.MulAdd(y, TL.Load(ry + L), b1);
            b2 = TL.MulAdd(y, TL.Load(ry + (2 * L)), b2);
            b3 = TL.MulAdd(y, TL.Load(ry + (3 * L)), b3);
        }
        if (e < count)
        {
            TV x = TL.Create(values[e]);
            float* rx = Row(from, index, e, ld);
            a0 = TL.MulAdd(x, TL.Load(rx), a0);
            a1 = TL.MulAdd(x, TL.Load(rx + L), a1);
            a2 = TL.MulAdd(x, TL.Load(rx + (2 * L)), a2);
            a3 = TL.MulAdd(x, TL.Load(rx + (3 * L)), a3);
        }
        Put<TL, TV>(TL.Add(a0, b0), output + n, add);
        Put<TL, TV>(TL.Add(a1, b1), output + n + L, add);
        Put<TL, TV>(TL.Add(a2, b2), output + n + (2 * L), add);
        Put<TL, TV>(TL.Add(a3, b3), output + n + (3 * L), add);
    }

    /// <summary>Three vectors of outputs from n (12 at 128 bits: a hidden layer of 10 padded to 12).</summary>
    private static void Triples<TL, TV, TI>(TI* index, float* values, int count, float* table, int stride, int n, float* output, bool add)
        where TL : struct, ILanes<TV> where TV : struct where TI : unmanaged, IBinaryInteger<TI>
    {
        int L = TL.Count;
        TV a0 = default, a1 = default, a2 = default, b0 = default, b1 = default, b2 = default;
        float* from = table + n;
        nint ld = stride, e = 0;
        for (; e + 2 <= count; e += 2)
        {
            TV x = TL.Create(values[e]), y = TL.Create(values[e + 1]);
            float* rx = Row(from, index, e, ld), ry = Row(from, index, e + 1, ld);
            a0 = TL.MulAdd(x, TL.Load(rx), a0);
            a1 = TL.MulAdd(x, TL.Load(rx + L), a1);
            a2 = TL.MulAdd(x, TL.Load(rx + (2 * L)), a2);
            b0 = TL.MulAdd(y, TL.Load(ry), b0);
            b1 = TL.MulAdd(y, TL.Load(ry + L), b1);
            b2 = TL.MulAdd(y, TL.Load(ry + (2 * L)), b2);
        }
        if (e < count)
        {
            TV x = TL.Create(values[e]);
            float* rx = Row(from, index, e, ld);
            a0 = TL.MulAdd(x, TL.Load(rx), a0);
            a1 = TL.MulAdd(x, TL.Load(rx + L), a1);
            a2 = TL.MulAdd(x, TL.Load(rx + (2 * L)), a2);
        }
        Put<TL, TV>(TL.Add(a0, b0), output + n, add);
        Put<TL, TV>(TL.Add(a1, b1), output + n + L, add);
        Put<TL, TV>(TL.Add(a2, b2), output + n + (2 * L), add);
    }

    /// <summary>Two vectors of outputs from n.</summary>
    private static void Pairs<TL, TV, TI>(TI* index, float* values, int count, float* table, int stride, int n, float* output, bool add)
        where TL : struct, ILanes<TV> where TV : struct where TI : unmanaged, IBinaryInteger<TI>
    {
        int L = TL.Count;
        TV a0 = default, a1 = default, b0 = default, b1 = default;
        float* from = table + n;
        nint ld = stride, e = 0;
        for (; e + 2 <= count; e += 2)
        {
            TV x = TL.Create(values[e]), y = TL.Create(values[e + 1]);
            float* rx = Row(from, index, e, ld), ry = Row(from, index, e + 1, ld);
            a0 = TL.MulAdd(x, TL.Load(rx), a0);
            a1 = TL.MulAdd(x, TL.Load(rx + L), a1);
            b0 = TL.MulAdd(y, TL.Load(ry), b0);
            b1 = TL.MulAdd(y, TL.Load(ry + L), b1);
        }
        if (e < count)
        {
            TV x = TL.Create(values[e]);
            float* rx = Row(from, index, e, ld);
            a0 = TL.MulAdd(x, TL.Load(rx), a0);
            a1 = TL.MulAdd(x, TL.Load(rx + L), a1);
        }
        Put<TL, TV>(TL.Add(a0, b0), output + n, add);
        Put<TL, TV>(TL.Add(a1, b1), output + n + L, add);
    }

    /// <summary>One vector of outputs from n.</summary>
    private static void Ones<TL, TV, TI>(TI* index, float* values, int count, float* table, int stride, int n, float* output, bool add)
        where TL : struct, ILanes<TV> where TV : struct where TI : unmanaged, IBinaryInteger<TI>
    {
        TV a = default, b = default;
        float* from = table + n;
        nint ld = stride, e = 0;
        for (; e + 2 <= count; e += 2)
        {
            a = TL.MulAdd(TL.Create(values[e]), TL.Load(Row(from, index, e, ld)), a);
            b = TL.MulAdd(TL.Create(values[e + 1]), TL.Load(Row(from, index, e + 1, ld)), b);
        }
        if (e < count)
        {
            a = TL.MulAdd(TL.Create(values[e]), TL.Load(Row(from, index, e, ld)), a);
        }
        Put<TL, TV>(TL.Add(a, b), output + n, add);
    }
}
