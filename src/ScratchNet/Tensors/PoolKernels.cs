// 2×2 max pooling, stride 2, one row of windows at a time: y[j] = the maximum of the window whose
// top-left corner is x[at + 2j], the row below `stride` floats on; win[j] = where it was, counted in
// the maps' own layout (index + 2j, + 1 for the right column, + width for the bottom row). Ties go
// to the first of (0,0), (0,1), (1,0), (1,1): left against right in each row (a tie keeps the left),
// then the bottom row's winner against the top's (a tie keeps the top). Used by MaxPool2D on its
// input maps, and by a convolution that pools its own product rows (ConvKernels.ShiftedForward),
// which adds each filter's bias to every value first: the values and comparisons MaxPool2D would
// see after the convolution wrote its maps, so the same bits. Vector<float>.Count windows at a
// time where there are vectors (the same comparisons, lane by lane).
using System.Numerics;
using System.Runtime.CompilerServices;

namespace ScratchNet.Tensors;

/// <summary>Reading the values pooled: as stored, or plus a bias.</summary>
internal unsafe interface IPoolValues
{
    static abstract Vector<float> Load(float* p, Vector<float> add);

    static abstract float Read(float* p, float add);
}

/// <summary>The values as stored (MaxPool2D over its input maps).</summary>
internal unsafe struct AsStored : IPoolValues
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector<float> Load(float* p, Vector<float> add) => Vector.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Read(float* p, float add) => *p;
}

/// <summary>Each value plus the bias, rounded as the convolution writing its maps rounds it.</summary>
internal unsafe struct PlusBias : IPoolValues
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector<float> Load(float* p, Vector<float> add) => Vector.Load(p) + add;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Read(float* p, float add) => *p + add;
}

/// <summary>2×2 max pooling over rows of windows.</summary>
internal static unsafe class PoolKernels
{
    /// <summary>
    /// Pools the <paramref name="Wo"/> windows of one row: top-left corners at x[at + 2j], bottom rows <paramref name="stride"/>
    /// floats on, values read through <typeparamref name="TValues"/>. Reads stay below x[<paramref name="readable"/>];
    /// writes below y[<paramref name="writable"/>] and win[<paramref name="writable"/>] (whole vectors may pass the row's
    /// end up to there: lanes that the next row, pooled after this one, writes again).
    /// </summary>
    public static void Row<TValues>(float* x, long at, int stride, float add, int Wo, long readable, float* y, int* win, int writable, int index, int width)
        where TValues : struct, IPoolValues
    {
        int Vc = Vector<float>.Count, xo = 0;
        var bias = new Vector<float>(add);
        for (; Simd.HasVector && xo < Wo && at + (2 * xo) + stride + (2 * Vc) + 1 <= readable; xo += Vc)
        {
            (Vector<float> best, Vector<int> where) = Windows<TValues>(x + at + (2 * xo), stride, bias, index + (2 * xo), width);
            if (xo + Vc <= writable)
            {
                best.Store(y + xo);
                where.Store(win + xo);
            }
            else
            {
                for (int l = 0; l < Wo - xo; l++)
                {
                    y[xo + l] = best[l];
                    win[xo + l] = where[l];
                }
            }
        }
        for (; xo < Wo; xo++)
        {
            // Branch-free: a taken branch per value would mispredict half the time
            float* corner = x + at + (2 * xo);
            float topLeft = TValues.Read(corner, add), topRight = TValues.Read(corner + 1, add);
            float lowLeft = TValues.Read(corner + stride, add), lowRight = TValues.Read(corner + stride + 1, add);
            int right = topRight > topLeft ? 1 : 0, lowTakesRight = lowRight > lowLeft ? 1 : 0;
            float upper = right == 1 ? topRight : topLeft, lower = lowTakesRight == 1 ? lowRight : lowLeft;
            bool down = lower > upper;
            y[xo] = down ? lower : upper;
            win[xo] = index + (2 * xo) + (down ? width + lowTakesRight : right);
        }
    }

    /// <summary>
    /// The Vc windows whose top-left corners are x[0], x[2], …: their maxima and where they are. Every lane compares
    /// itself with its right neighbour (a load one float on) in both rows; the even lanes are the windows, and narrowing
    /// each pair of lanes to its low half (the even one) packs them side by side.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector<float> Best, Vector<int> At) Windows<TValues>(float* x, int stride, Vector<float> add, int index, int width)
        where TValues : struct, IPoolValues
    {
        (Vector<float> v0, Vector<int> i0) = Pairs<TValues>(x, stride, add, index, width);
        (Vector<float> v1, Vector<int> i1) = Pairs<TValues>(x + Vector<float>.Count, stride, add, index + Vector<float>.Count, width);
        return (Vector.AsVectorSingle(Vector.Narrow(Vector.AsVectorUInt64(v0), Vector.AsVectorUInt64(v1))),
                Vector.AsVectorInt32(Vector.Narrow(Vector.AsVectorUInt64(i0), Vector.AsVectorUInt64(i1))));
    }

    /// <summary>Per lane j: the 2×2 window at x[j] (valid for even j): its maximum and its index (index + j + …).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector<float> Best, Vector<int> At) Pairs<TValues>(float* x, int stride, Vector<float> add, int index, int width)
        where TValues : struct, IPoolValues
    {
        Vector<float> left = TValues.Load(x, add), right = TValues.Load(x + 1, add);
        Vector<float> lowLeft = TValues.Load(x + stride, add), lowRight = TValues.Load(x + stride + 1, add);
        Vector<int> upRight = Vector.GreaterThan(right, left), lowTakesRight = Vector.GreaterThan(lowRight, lowLeft);   // −1 where true
        Vector<float> upper = Vector.ConditionalSelect(upRight, right, left), lower = Vector.ConditionalSelect(lowTakesRight, lowRight, lowLeft);
        Vector<int> at = new Vector<int>(index) + Vector<int>.Indices;
        Vector<int> take = Vector.GreaterThan(lower, upper);
        return (Vector.ConditionalSelect(take, lower, upper),
                Vector.ConditionalSelect(take, at + new Vector<int>(width) - lowTakesRight, at - upRight));
    }
}
