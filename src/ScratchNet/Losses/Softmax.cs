// The one softmax of the library, A = softmax(Z) = exp(z_i − max z) / Σ_j exp(z_j − max z), with
// the one exp (Tensors/Exponential.cs), in the three layouts the engines hold Z in:
//   Row        one example's logits in a row (the layer engine; the oracle of the other two)
//   Padded     one example's logits padded to whole 256-bit vectors (the fused engine)
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
    public static float ExpPadded(float* z, int classes, int padded, float max)
    {
        var vmax = Vector256.Create(max);
        Vector256<float> sum = default;
        for (int o = 0; o < padded; o += 8)
        {
            Vector256<float> e = Exponential.Exp(Vector256.Load(z + o) - vmax);
            if (o + 8 > classes)
            {
                // Padding lanes: nothing (their z is not a logit).
                e = Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Create(o) + Vector256<int>.Indices, Vector256.Create(classes)).AsSingle(), e, default);
            }
            e.Store(z + o);
            sum += e;
        }
        return Vector256.Sum(sum);
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
