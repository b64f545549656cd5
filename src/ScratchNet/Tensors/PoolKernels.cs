// 2×2 max pooling, stride 2, one row of windows at a time: y[j] = the maximum of the window whose
// top-left corner is x[at + 2j], the row below `stride` floats on; win[j] = where it was, counted in
// the maps' own layout (index + 2j, + 1 for the right column, + width for the bottom row). Ties go
// to the first of (0,0), (0,1), (1,0), (1,1): left against right in each row (a tie keeps the left),
// then the bottom row's winner against the top's (a tie keeps the top). Used by MaxPool2D on its
// input maps, and by a convolution that pools its own product rows (ConvKernels.ShiftedForward),
// which adds each filter's bias to every value first: the values and comparisons MaxPool2D would
// see after the convolution wrote its maps, so the same bits. Vector<float>.Count windows at a
// time where there are vectors (the same comparisons, lane by lane). The gradient: dA at each
// window's winner, 0 elsewhere, whole windows written at a time (8 or 4 by the vector width).
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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

/// <summary>2×2 max pooling over rows of windows, and its gradient (unpooling) example by example.</summary>
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

    /// <summary>
    /// One example's gradient of its <paramref name="input"/> maps, dx [C·H·W] = dy [C·(H/2)·(W/2)] at each window's winner,
    /// 0 elsewhere. Rows of four windows or more: every 2×2 window written whole — dA at its winner, 0 at the other three —
    /// in one pass (no clearing first); a dropped odd last row or column gets zeros.
    /// </summary>
    public static void Unpool(float* dy, int* win, MapShape input, float* dx)
    {
        int W = input.Width, Ho = input.Height / 2, Wo = W / 2;
        if (Wo < 4 || !Simd.Has128)
        {
            // Rows of fewer than four windows, or no vectors: clear, then dA at each winner
            new Span<float>(dx, input.Size).Clear();
            for (int o = 0, count = input.Channels * Ho * Wo; o < count; o++)
            {
                dx[win[o]] = dy[o];
            }
            return;
        }
        for (int c = 0; c < input.Channels; c++)
        {
            for (int yo = 0; yo < Ho; yo++)
            {
                int top = input.Index(c, 2 * yo, 0), o = ((c * Ho) + yo) * Wo;
                UnpoolRow(dy + o, win + o, Wo, dx, top, W);
                if ((W & 1) == 1)
                {
                    dx[top + W - 1] = 0f;
                    dx[top + (2 * W) - 1] = 0f;
                }
            }
            if ((input.Height & 1) == 1)
            {
                new Span<float>(dx + input.Index(c, input.Height - 1, 0), W).Clear();
            }
        }
    }

    /// <summary>
    /// The Wo ≥ 4 windows of one output row (top-left corners at dx[top + 2·xo]), four at a time: each window's dA and
    /// winner doubled into both halves of a 64-bit lane, so that float lanes 2i and 2i + 1 are window i's two columns,
    /// kept where the winner is that column of that row.
    /// </summary>
    private static unsafe void UnpoolRow(float* dy, int* win, int Wo, float* dx, int top, int W)
    {
        if (Simd.Has256 && Wo >= 8)
        {
            UnpoolRow256(dy, win, Wo, dx, top, W);
            return;
        }
        Vector128<int> column = Vector128.Create(0, 1, 0, 1), lowColumn = column + Vector128.Create(W);
        Vector128<int> corners = Vector128.Create(0, 2, 4, 6);
        for (int next = 0; next < Wo; next += 4)
        {
            // The last four windows of a row whose width is not a multiple of 4 overlap the ones before: written again, the same
            int xo = Math.Min(next, Wo - 4);
            // winner − corner: 0, 1, W or W + 1
            int at = top + (2 * xo);
            Vector128<uint> d = Vector128.Load(dy + xo).AsUInt32();
            Vector128<uint> place = (Vector128.Load(win + xo) - Vector128.Create(at) - corners).AsUInt32();
            (Vector128<ulong> d0, Vector128<ulong> d1) = Vector128.Widen(d);
            (Vector128<ulong> p0, Vector128<ulong> p1) = Vector128.Widen(place);
            Halves((d0 | (d0 << 32)).AsSingle(), (p0 | (p0 << 32)).AsInt32(), column, lowColumn, dx + at, W);
            Halves((d1 | (d1 << 32)).AsSingle(), (p1 | (p1 << 32)).AsInt32(), column, lowColumn, dx + at + 4, W);
        }
    }

    /// <summary>
    /// <see cref="UnpoolRow"/> eight windows at a time (Wo ≥ 8, 256-bit vectors): each window's dA and place spread to
    /// two lanes by one permutation per half, so that lanes 2i and 2i + 1 are window i's two columns in both rows. (Rows of
    /// MNIST's maps hold 14 windows at most: a 512-bit form would run on none of them.)
    /// </summary>
    private static unsafe void UnpoolRow256(float* dy, int* win, int Wo, float* dx, int top, int W)
    {
        Vector256<int> column = Vector256.Create(0, 1, 0, 1, 0, 1, 0, 1), lowColumn = column + Vector256.Create(W);
        Vector256<int> corners = Vector256<int>.Indices * 2;
        Vector256<int> low = Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3), high = low + Vector256.Create(4);
        for (int next = 0; next < Wo; next += 8)
        {
            // The last eight windows of a row whose width is not a multiple of 8 overlap the ones before: written again, the same
            int xo = Math.Min(next, Wo - 8);
            int at = top + (2 * xo);
            Vector256<float> d = Vector256.Load(dy + xo);
            Vector256<int> place = Vector256.Load(win + xo) - Vector256.Create(at) - corners;   // winner − corner: 0, 1, W or W + 1
            Vector256<float> d0 = Vector256.Shuffle(d, low), d1 = Vector256.Shuffle(d, high);
            Vector256<int> p0 = Vector256.Shuffle(place, low), p1 = Vector256.Shuffle(place, high);
            Vector256.ConditionalSelect(Vector256.Equals(p0, column).AsSingle(), d0, Vector256<float>.Zero).Store(dx + at);
            Vector256.ConditionalSelect(Vector256.Equals(p1, column).AsSingle(), d1, Vector256<float>.Zero).Store(dx + at + 8);
            Vector256.ConditionalSelect(Vector256.Equals(p0, lowColumn).AsSingle(), d0, Vector256<float>.Zero).Store(dx + at + W);
            Vector256.ConditionalSelect(Vector256.Equals(p1, lowColumn).AsSingle(), d1, Vector256<float>.Zero).Store(dx + at + W + 8);
        }
    }

    /// <summary>Two windows doubled (four floats): the top row's where the winner is there, the bottom row's likewise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Halves(Vector128<float> d, Vector128<int> place, Vector128<int> column, Vector128<int> lowColumn, float* at, int W)
    {
        Vector128.ConditionalSelect(Vector128.Equals(place, column).AsSingle(), d, Vector128<float>.Zero).Store(at);
        Vector128.ConditionalSelect(Vector128.Equals(place, lowColumn).AsSingle(), d, Vector128<float>.Zero).Store(at + W);
    }
}
