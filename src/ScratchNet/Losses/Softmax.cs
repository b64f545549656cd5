// The one softmax of the library, A = softmax(Z) = exp(z_i − max z) / Σ_j exp(z_j − max z), with
// the one exp (Tensors/Exponential.cs), in the three layouts the engines hold Z in:
//   Row        one example's logits in a row (the layer engine; the oracle of the other two)
//   Padded     one example's logits padded to a multiple of 8 floats (the fused engine)
//   Lanes      16 examples side by side, class o of example l at z[o·16 + l] (the packed engine)
// Subtracting the max keeps every exp argument ≤ 0: logits of ±1000 give exact probabilities.
// Leaves out: the loss and dZ = A − Y (the callers fuse them with the pass they are in).
using System.Runtime.Intrinsics;
using ScratchNet.Tensors;

namespace ScratchNet.Losses;

/// <summary>The numerically stable softmax, one row at a time: exp(z − max) / Σ exp(z − max).</summary>
public static unsafe class Softmax
{
    /// <summary>a = softmax(z) for one example; returns the log-sum-exp, max z + log Σ exp(z − max z).</summary>
    public static double Row(ReadOnlySpan<float> z, Span<float> a)
    {
        float max = float.NegativeInfinity;
        foreach (float v in z)
        {
            max = MathF.Max(max, v);
        }
        double sum = 0;
        for (int j = 0; j < z.Length; j++)
        {
            float e = Exponential.Exp(z[j] - max);
            a[j] = e;
            sum += e;
        }
        float inv = (float)(1.0 / sum);
        for (int j = 0; j < z.Length; j++)
        {
            a[j] *= inv;
        }
        return max + Math.Log(sum);
    }

    /// <summary>
    /// z[o] = exp(z[o] − max) in place for the <paramref name="classes"/> logits of one example, the
    /// lanes up to <paramref name="padded"/> (a multiple of 8) set to 0; returns Σ exp. Divide by it for A.
    /// </summary>
    public static float ExpPadded(float* z, int classes, int padded, float max) => Simd.Widest switch
    {
        >= VectorWidth.Bits256 => ExpPadded<Lanes256, Vector256<float>>(z, classes, padded, max),
        VectorWidth.Bits128 => ExpPadded<Lanes128, Vector128<float>>(z, classes, padded, max),
        _ => ExpPadded<LanesScalar, float>(z, classes, padded, max),
    };

    /// <summary>
    /// ExpPadded at one vector width of 8, 4 or 1 lanes. Lane l of each group of 8 logits adds into
    /// sum l at every width, and the eight sums are added as Vector256.Sum adds them on x64: the same
    /// bits at each width.
    /// </summary>
    internal static float ExpPadded<TL, TV>(float* z, int classes, int padded, float max) where TL : struct, ILanes<TV> where TV : struct
    {
        int L = TL.Count;
        TV vmax = TL.Create(max);
        TV s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        for (int o = 0; o < padded; o += 8)
        {
            s0 = TL.Add(s0, ExpAt<TL, TV>(z, o, classes, vmax));
            if (L <= 4)
            {
                s1 = TL.Add(s1, ExpAt<TL, TV>(z, o + L, classes, vmax));
            }
            if (L == 1)
            {
                s2 = TL.Add(s2, ExpAt<TL, TV>(z, o + 2, classes, vmax));
                s3 = TL.Add(s3, ExpAt<TL, TV>(z, o + 3, classes, vmax));
                s4 = TL.Add(s4, ExpAt<TL, TV>(z, o + 4, classes, vmax));
                s5 = TL.Add(s5, ExpAt<TL, TV>(z, o + 5, classes, vmax));
                s6 = TL.Add(s6, ExpAt<TL, TV>(z, o + 6, classes, vmax));
                s7 = TL.Add(s7, ExpAt<TL, TV>(z, o + 7, classes, vmax));
            }
        }
        return L switch
        {
            8 => TL.Sum(s0),
            4 => TL.Sum(s0) + TL.Sum(s1),
            _ => ((TL.Sum(s0) + TL.Sum(s1)) + (TL.Sum(s2) + TL.Sum(s3))) + ((TL.Sum(s4) + TL.Sum(s5)) + (TL.Sum(s6) + TL.Sum(s7))),
        };
    }

    /// <summary>z[o …] = exp(z − max) for one vector in place, lanes past the classes (padding: not logits) set to 0; returns it.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static TV ExpAt<TL, TV>(float* z, int o, int classes, TV max) where TL : struct, ILanes<TV> where TV : struct
    {
        TV e = TL.Exp(TL.Subtract(TL.Load(z + o), max));
        if (o + TL.Count > classes)
        {
            e = TL.KeepFirst(e, classes - o);
        }
        TL.Store(e, z + o);
        return e;
    }

    /// <summary>Per lane (example), the largest of the <paramref name="classes"/> logits z[o·16 + lane] (one vector of lanes at z).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static TV MaxLanes<TL, TV>(float* z, int classes) where TL : struct, ILanes<TV> where TV : struct
    {
        TV max = TL.Load(z);
        for (int o = 1; o < classes; o++)
        {
            max = TL.Max(max, TL.Load(z + (o * 16)));
        }
        return max;
    }

    /// <summary>z[o·16 + lane] = exp(z − max) in place for one vector of examples, classes from last to first; returns Σ exp per lane.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static TV ExpLanes<TL, TV>(float* z, int classes, TV max) where TL : struct, ILanes<TV> where TV : struct
    {
        TV sum = default;
        for (int o = classes - 1; o >= 0; o--)
        {
            TV e = TL.Exp(TL.Subtract(TL.Load(z + (o * 16)), max));
            TL.Store(e, z + (o * 16));
            sum = TL.Add(sum, e);
        }
        return sum;
    }
}
