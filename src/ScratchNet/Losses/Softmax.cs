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

    /// <summary>ExpPadded at one vector width of at most 8 lanes; the sum runs in 8-lane groups at every width, so it gives the same bits at each.</summary>
    internal static float ExpPadded<TL, TV>(float* z, int classes, int padded, float max) where TL : struct, ILanes<TV> where TV : struct
    {
        int L = TL.Count;
        TV vmax = TL.Create(max);
        float* sums = stackalloc float[8];
        new Span<float>(sums, 8).Clear();
        for (int o = 0; o < padded; o += 8)
        {
            for (int l = 0; l < 8; l += L)
            {
                // Padding lanes: nothing (their z is not a logit).
                TV e = TL.KeepFirst(TL.Exp(TL.Subtract(TL.Load(z + o + l), vmax)), classes - o - l);
                TL.Store(e, z + o + l);
                TL.Store(TL.Add(TL.Load(sums + l), e), sums + l);
            }
        }
        // Summed as Vector256.Sum does on x64, written out so every width and machine adds in this order.
        return ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]));
    }

    /// <summary>Per lane (example), the largest of the <paramref name="classes"/> logits z[o·16 + lane].</summary>
    public static Vector512<float> MaxLanes(float* z, int classes)
    {
        Vector512<float> max = Vector512.Load(z);
        for (int o = 1; o < classes; o++)
        {
            max = Vector512.Max(max, Vector512.Load(z + (o * 16)));
        }
        return max;
    }

    /// <summary>z[o·16 + lane] = exp(z − max) in place for 16 examples, classes from last to first; returns Σ exp per lane.</summary>
    public static Vector512<float> ExpLanes(float* z, int classes, Vector512<float> max)
    {
        Vector512<float> sum = default;
        for (int o = classes - 1; o >= 0; o--)
        {
            Vector512<float> e = Exponential.Exp(Vector512.Load(z + (o * 16)) - max);
            e.Store(z + (o * 16));
            sum += e;
        }
        return sum;
    }
}
