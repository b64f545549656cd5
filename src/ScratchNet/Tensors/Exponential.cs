// The one e^x of the library, in scalar and vector form with the same operations in the same order,
// so a lane of a vector gives the same bits as the scalar version of its value:
//   x = n·ln 2 + r,  n = ⌊x·log₂e + ½⌋,  |r| ≤ ln 2 / 2   (ln 2 split in two parts for an exact r)
//   e^r ≈ 1 + r + r²·P(r)   the degree-7 polynomial of Cephes' expf (relative error about 1e-7)
//   e^x = e^r · 2ⁿ          2ⁿ built in the exponent bits
// x is clamped to [−87.3, 88.3]: below, e^x is under float's normal range and adds nothing to a
// softmax sum that holds e^0 = 1; above, it would overflow. Used by softmax (z − max ≤ 0), sigmoid
// (e^−|z|) and the fast engines. Leaves out: subnormal results and arguments outside that range.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

public static class Exponential
{
    private const float Min = -87.3f, Max = 88.3f;
    private const float Log2E = 1.44269504088896341f, Ln2High = -0.693359375f, Ln2Low = 2.12194440e-4f;
    private const float P0 = 1.9875691500E-4f, P1 = 1.3981999507E-3f, P2 = 8.3334519073E-3f, P3 = 4.1665795894E-2f, P4 = 1.6666665459E-1f, P5 = 5.0000001201E-1f;

    /// <summary>e^x (scalar): the same bits as one lane of the vector forms.</summary>
    public static float Exp(float x)
    {
        x = MathF.Min(MathF.Max(x, Min), Max);
        float n = MathF.Floor(MathF.FusedMultiplyAdd(x, Log2E, 0.5f));
        float r = MathF.FusedMultiplyAdd(n, Ln2High, x);
        r = MathF.FusedMultiplyAdd(n, Ln2Low, r);
        float p = P0;
        p = MathF.FusedMultiplyAdd(p, r, P1);
        p = MathF.FusedMultiplyAdd(p, r, P2);
        p = MathF.FusedMultiplyAdd(p, r, P3);
        p = MathF.FusedMultiplyAdd(p, r, P4);
        p = MathF.FusedMultiplyAdd(p, r, P5);
        p = MathF.FusedMultiplyAdd(p, r * r, r) + 1f;
        return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    /// <summary>e^x for each lane of a 512-bit vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(Min)), Vector512.Create(Max));
        Vector512<float> n = Vector512.Floor(Vector512.FusedMultiplyAdd(x, Vector512.Create(Log2E), Vector512.Create(0.5f)));
        Vector512<float> r = Vector512.FusedMultiplyAdd(n, Vector512.Create(Ln2High), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(Ln2Low), r);
        Vector512<float> p = Vector512.Create(P0);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        p = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        return p * ((Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23).AsSingle();
    }

    /// <summary>e^x for each lane of a 256-bit vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(Min)), Vector256.Create(Max));
        Vector256<float> n = Vector256.Floor(Vector256.FusedMultiplyAdd(x, Vector256.Create(Log2E), Vector256.Create(0.5f)));
        Vector256<float> r = Vector256.FusedMultiplyAdd(n, Vector256.Create(Ln2High), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(Ln2Low), r);
        Vector256<float> p = Vector256.Create(P0);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        p = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        return p * ((Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23).AsSingle();
    }

    /// <summary>e^x for each lane of a 128-bit vector (NEON on ARM64, SSE on x64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x)
    {
        x = Vector128.Min(Vector128.Max(x, Vector128.Create(Min)), Vector128.Create(Max));
        Vector128<float> n = Vector128.Floor(Vector128.FusedMultiplyAdd(x, Vector128.Create(Log2E), Vector128.Create(0.5f)));
        Vector128<float> r = Vector128.FusedMultiplyAdd(n, Vector128.Create(Ln2High), x);
        r = Vector128.FusedMultiplyAdd(n, Vector128.Create(Ln2Low), r);
        Vector128<float> p = Vector128.Create(P0);
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P1));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P2));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P3));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P4));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P5));
        p = Vector128.FusedMultiplyAdd(p, r * r, r) + Vector128<float>.One;
        return p * ((Vector128.ConvertToInt32(n) + Vector128.Create(127)) << 23).AsSingle();
    }
}
