// Sixteen floats — one row of the packed engine: the 16 (padded) hidden units of a pixel's weights,
// or one unit's value for 16 images — held as the vectors of one width: one Vector512 (AVX-512),
// two Vector256 (AVX2) or four Vector128 (SSE, NEON). The engine's loops are written once over it;
// every lane sees the same operations at every width, so the rows' bits do not depend on the width
// where the hardware fuses multiply-adds alike. Fields past the width's need are never touched (the
// width is a constant to the JIT, and the tests on it fold away).
using System.Runtime.CompilerServices;
using ScratchNet.Tensors;

namespace ScratchNet.Engines.Packed;

internal unsafe struct Row16<TL, TV>
    where TL : struct, ILanes<TV>
    where TV : struct
{
    /// <summary>Lanes 0 …, Count …, 2·Count … and 3·Count … of the row.</summary>
    private TV a, b, c, d;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Row16<TL, TV> Load(float* p)
    {
        Row16<TL, TV> r = default;
        r.a = TL.Load(p);
        if (TL.Count <= 8)
        {
            r.b = TL.Load(p + TL.Count);
        }
        if (TL.Count <= 4)
        {
            r.c = TL.Load(p + (2 * TL.Count));
            r.d = TL.Load(p + (3 * TL.Count));
        }
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store(float* p)
    {
        TL.Store(a, p);
        if (TL.Count <= 8)
        {
            TL.Store(b, p + TL.Count);
        }
        if (TL.Count <= 4)
        {
            TL.Store(c, p + (2 * TL.Count));
            TL.Store(d, p + (3 * TL.Count));
        }
    }

    /// <summary>s·w + acc per lane (s the same in every lane), fused where the hardware fuses.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Row16<TL, TV> MulAdd(TV s, Row16<TL, TV> w, Row16<TL, TV> acc)
    {
        acc.a = TL.MulAdd(s, w.a, acc.a);
        if (TL.Count <= 8)
        {
            acc.b = TL.MulAdd(s, w.b, acc.b);
        }
        if (TL.Count <= 4)
        {
            acc.c = TL.MulAdd(s, w.c, acc.c);
            acc.d = TL.MulAdd(s, w.d, acc.d);
        }
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Row16<TL, TV> operator +(Row16<TL, TV> x, Row16<TL, TV> y)
    {
        x.a = TL.Add(x.a, y.a);
        if (TL.Count <= 8)
        {
            x.b = TL.Add(x.b, y.b);
        }
        if (TL.Count <= 4)
        {
            x.c = TL.Add(x.c, y.c);
            x.d = TL.Add(x.d, y.d);
        }
        return x;
    }

    /// <summary>The sum of the 16 lanes in the order Vector512.Sum takes: each half's sum, then the two added (recursively down to 4 lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Sum()
    {
        if (TL.Count == 16)
        {
            return TL.Sum(a);
        }
        if (TL.Count == 8)
        {
            return TL.Sum(a) + TL.Sum(b);
        }
        return (TL.Sum(a) + TL.Sum(b)) + (TL.Sum(c) + TL.Sum(d));
    }
}
