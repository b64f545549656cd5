// The one e^x of the library, written once for every vector width (ILanes) and once in scalar form,
// with the same operations in the same order, so a lane of a vector gives the same bits as the
// scalar version of its value:
//   x = n·ln 2 + r,  n = ⌊x·log₂e + ½⌋,  |r| ≤ ln 2 / 2   (ln 2 split in two parts for an exact r)
//   e^r ≈ 1 + r + r²·P(r)   the degree-7 polynomial of Cephes' expf (relative error about 1e-7)
//   e^x = e^r · 2ⁿ          2ⁿ built in the exponent bits
// x is clamped to [−87.3, 88.3]: below, e^x is under float's normal range and adds nothing to a
// softmax sum that holds e^0 = 1; above, it would overflow. Used by softmax (z − max ≤ 0), sigmoid
// (e^−|z|) and the fast engines. Multiply-adds fuse where the hardware fuses (Simd.Fuses).
// Leaves out: subnormal results and arguments outside that range.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

internal static class Exponential
{
    private const float Min = -87.3f, Max = 88.3f;
    private const float Log2E = 1.44269504088896341f, Ln2High = -0.693359375f, Ln2Low = 2.12194440e-4f;
    private const float P0 = 1.9875691500E-4f, P1 = 1.3981999507E-3f, P2 = 8.3334519073E-3f, P3 = 4.1665795894E-2f, P4 = 1.6666665459E-1f, P5 = 5.0000001201E-1f;

    /// <summary>e^x (scalar): the same bits as one lane of the vector forms.</summary>
    public static float Exp(float x)
    {
        x = MathF.Min(MathF.Max(x, Min), Max);
        float n = MathF.Floor(Simd.MulAdd(x, Log2E, 0.5f));
        float r = Simd.MulAdd(n, Ln2High, x);
        r = Simd.MulAdd(n, Ln2Low, r);
        float p = P0;
        p = Simd.MulAdd(p, r, P1);
        p = Simd.MulAdd(p, r, P2);
        p = Simd.MulAdd(p, r, P3);
        p = Simd.MulAdd(p, r, P4);
        p = Simd.MulAdd(p, r, P5);
        p = Simd.MulAdd(p, r * r, r) + 1f;
        return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    /// <summary>e^x for each lane of a 512-bit vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x) => Exp<Lanes512, Vector512<float>>(x);

    /// <summary>e^x for each lane of a 256-bit vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x) => Exp<Lanes256, Vector256<float>>(x);

    /// <summary>e^x for each lane of a 128-bit vector (NEON on ARM64, SSE on x64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x) => Exp<Lanes128, Vector128<float>>(x);

    /// <summary>e^x for each lane, at any width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Exp<TL, TV>(TV x) where TL : struct, ILanes<TV> where TV : struct
    {
        x = TL.Min(TL.Max(x, TL.Create(Min)), TL.Create(Max));
        TV n = TL.Floor(TL.MulAdd(x, TL.Create(Log2E), TL.Create(0.5f)));
        TV r = TL.MulAdd(n, TL.Create(Ln2High), x);
        r = TL.MulAdd(n, TL.Create(Ln2Low), r);
        TV p = TL.Create(P0);
        p = TL.MulAdd(p, r, TL.Create(P1));
        p = TL.MulAdd(p, r, TL.Create(P2));
        p = TL.MulAdd(p, r, TL.Create(P3));
        p = TL.MulAdd(p, r, TL.Create(P4));
        p = TL.MulAdd(p, r, TL.Create(P5));
        p = TL.Add(TL.MulAdd(p, TL.Multiply(r, r), r), TL.Create(1f));
        return TL.Multiply(p, TL.Pow2(n));
    }
}
