// 2×2 max pooling with stride 2: A[n,c,y,x] = max of A_prev[n, c, 2y + i, 2x + j] over i, j ∈ {0, 1}.
// An odd last row or column is dropped (PyTorch's floor). Ties go to the first of (0,0), (0,1), (1,0),
// (1,1). Backward: dA_prev is dA at the winner of each window, 0 elsewhere. The forward pass takes
// Vector<float>.Count windows at a time where there are vectors (the same comparisons, lane by lane);
// the backward pass writes four whole windows at a time (no clearing first) on rows of four or more.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>Max pooling over 2×2 windows, stride 2.</summary>
public sealed class MaxPool2D : ILayer
{
    private Matrix? output;  // A [m, C·(H/2)·(W/2)]
    private Matrix? dInput;  // [m, C·H·W]
    private int[] winners = [];  // [m, C·(H/2)·(W/2)]: index in the example's input row of each window's maximum

    /// <summary>2×2 max pooling with stride 2 over <paramref name="input"/> maps (odd sizes rounded down).</summary>
    public MaxPool2D(MapShape input)
    {
        if (input.Channels < 1 || input.Height < 2 || input.Width < 2)
        {
            throw new ArgumentException($"2×2 pooling needs maps of at least 2×2; these are {input}.");
        }
        Input = input;
        Output = new MapShape(input.Channels, input.Height / 2, input.Width / 2);
    }

    /// <summary>The maps it reads.</summary>
    public MapShape Input { get; }

    /// <summary>The maps it writes: half the height and width.</summary>
    public MapShape Output { get; }

    /// <inheritdoc/>
    public LayerSpec Spec => new LayerSpec("maxpool", Input.Size, Output.Size).WithMap(Input);

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <inheritdoc/>
    public Matrix Forward(Matrix input, bool training)
    {
        Dense.CheckWidth(input, Input.Size, "input");
        int m = input.Rows;
        Matrix a = Matrix.Ensure(ref output, m, Output.Size);
        if (winners.Length < m * Output.Size)
        {
            winners = new int[m * Output.Size];
        }
        float[] x = input.Storage, y = a.Storage;
        int[] win = winners;
        int pieces = ConvKernels.PieceCount(m), per = (m + pieces - 1) / pieces;
        Workers.For(pieces, piece =>
        {
            for (int n = piece * per; n < Math.Min(m, (piece + 1) * per); n++)
            {
                Pool(x.AsSpan(n * Input.Size, Input.Size), y.AsSpan(n * Output.Size, Output.Size), win.AsSpan(n * Output.Size, Output.Size));
            }
        });
        return a;
    }

    /// <summary>One example: A = the maximum of each 2×2 window (the first maximum on a tie) and where it was.</summary>
    private unsafe void Pool(ReadOnlySpan<float> input, Span<float> output, Span<int> where)
    {
        int W = Input.Width, Wo = Output.Width, Vc = Vector<float>.Count;
        fixed (float* x = input, y = output)
        fixed (int* win = where)
        {
            for (int c = 0; c < Input.Channels; c++)
            {
                for (int yo = 0; yo < Output.Height; yo++)
                {
                    int top = Input.Index(c, 2 * yo, 0), o = Output.Index(c, yo, 0);
                    int xo = 0;
                    // Vc windows at a time; a last chunk that passes the row's end keeps only the row's windows
                    // (it reads on into the next row, never past the example: then the rest goes one by one).
                    for (; Simd.HasVector && xo < Wo && top + (2 * xo) + W + (2 * Vc) + 1 <= input.Length; xo += Vc)
                    {
                        (Vector<float> best, Vector<int> at) = Windows(x, top + (2 * xo), W);
                        if (o + xo + Vc <= output.Length)
                        {
                            // Whole vectors: lanes past this row land on the next row's first windows, which
                            // that row writes again (rows go in order); never past this example's outputs.
                            best.Store(y + o + xo);
                            at.Store(win + o + xo);
                        }
                        else
                        {
                            for (int l = 0; l < Wo - xo; l++)
                            {
                                y[o + xo + l] = best[l];
                                win[o + xo + l] = at[l];
                            }
                        }
                    }
                    for (; xo < Wo; xo++)
                    {
                        // Left against right in each row (a tie keeps the left), then the bottom row's winner
                        // against the top's (a tie keeps the top): the first maximum in reading order wins.
                        // Branch-free: a taken branch per value would mispredict half the time.
                        int at = top + (2 * xo);
                        int upper = at + (x[at + 1] > x[at] ? 1 : 0);
                        int lower = at + W + (x[at + W + 1] > x[at + W] ? 1 : 0);
                        int best = upper + ((x[lower] > x[upper] ? 1 : 0) * (lower - upper));
                        y[o + xo] = x[best];
                        win[o + xo] = best;
                    }
                }
            }
        }
    }

    /// <summary>
    /// The Vc windows whose top-left corners are x[at], x[at + 2], …: their maxima and where they are,
    /// by the same comparisons as the element-by-element loop. Every lane compares itself with its right
    /// neighbour (a load one float on) in both rows; the even lanes are the windows, and narrowing
    /// each pair of lanes to its low half (the even one) packs them side by side.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector<float> Best, Vector<int> At) Windows(float* x, int at, int W)
    {
        (Vector<float> v0, Vector<int> i0) = Pairs(x, at, W);
        (Vector<float> v1, Vector<int> i1) = Pairs(x, at + Vector<float>.Count, W);
        return (Vector.AsVectorSingle(Vector.Narrow(Vector.AsVectorUInt64(v0), Vector.AsVectorUInt64(v1))),
                Vector.AsVectorInt32(Vector.Narrow(Vector.AsVectorUInt64(i0), Vector.AsVectorUInt64(i1))));
    }

    /// <summary>Per lane j: the 2×2 window at at + j (valid for even j): its maximum and its index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector<float> Best, Vector<int> At) Pairs(float* x, int at, int W)
    {
        Vector<float> left = Vector.Load(x + at), right = Vector.Load(x + at + 1);
        Vector<float> lowLeft = Vector.Load(x + at + W), lowRight = Vector.Load(x + at + W + 1);
        Vector<int> upRight = Vector.GreaterThan(right, left), lowTakesRight = Vector.GreaterThan(lowRight, lowLeft);   // −1 where true
        Vector<float> upper = Vector.ConditionalSelect(upRight, right, left), lower = Vector.ConditionalSelect(lowTakesRight, lowRight, lowLeft);
        Vector<int> index = new Vector<int>(at) + Vector<int>.Indices;
        Vector<int> take = Vector.GreaterThan(lower, upper);
        return (Vector.ConditionalSelect(take, lower, upper),
                Vector.ConditionalSelect(take, index + new Vector<int>(W) - lowTakesRight, index - upRight));
    }

    /// <inheritdoc/>
    public Matrix? Backward(Matrix dOutput, bool computeInputGradient)
    {
        Dense.CheckWidth(dOutput, Output.Size, "dA");
        if (!computeInputGradient)
        {
            return null;
        }
        int m = dOutput.Rows;
        // dA_prev = dA at each window's winner, 0 elsewhere
        Matrix dA = Matrix.Ensure(ref dInput, m, Input.Size);
        float[] dy = dOutput.Storage, dx = dA.Storage;
        int[] win = winners;
        int pieces = ConvKernels.PieceCount(m), per = (m + pieces - 1) / pieces;
        Workers.For(pieces, piece =>
        {
            for (int n = piece * per; n < Math.Min(m, (piece + 1) * per); n++)
            {
                if (Output.Width >= 4 && Simd.Has128)
                {
                    Unpool(dy.AsSpan(n * Output.Size, Output.Size), win.AsSpan(n * Output.Size, Output.Size), dx.AsSpan(n * Input.Size, Input.Size));
                    continue;
                }
                // Rows of fewer than four windows, or no vectors: clear, then dA at each winner
                int inRow = n * Input.Size, outRow = n * Output.Size;
                Array.Clear(dx, inRow, Input.Size);
                for (int o = 0; o < Output.Size; o++)
                {
                    dx[inRow + win[outRow + o]] = dy[outRow + o];
                }
            }
        });
        return dA;
    }

    /// <summary>
    /// One example, rows of four windows or more: every 2×2 window of dA_prev written whole — dA at its winner, 0 at the
    /// other three — in one pass (no clearing first); a dropped odd last row or column gets zeros.
    /// </summary>
    private unsafe void Unpool(ReadOnlySpan<float> dOut, ReadOnlySpan<int> where, Span<float> dIn)
    {
        int W = Input.Width;
        fixed (float* dy = dOut, dx = dIn)
        fixed (int* win = where)
        {
            for (int c = 0; c < Input.Channels; c++)
            {
                for (int yo = 0; yo < Output.Height; yo++)
                {
                    int top = Input.Index(c, 2 * yo, 0), o = Output.Index(c, yo, 0);
                    UnpoolRow(dy + o, win + o, Output.Width, dx, top, W);
                    if ((W & 1) == 1)
                    {
                        dx[top + W - 1] = 0f;
                        dx[top + (2 * W) - 1] = 0f;
                    }
                }
                if ((Input.Height & 1) == 1)
                {
                    new Span<float>(dx + Input.Index(c, Input.Height - 1, 0), W).Clear();
                }
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

    /// <summary>Two windows doubled (four floats): the top row's where the winner is there, the bottom row's likewise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Halves(Vector128<float> d, Vector128<int> place, Vector128<int> column, Vector128<int> lowColumn, float* at, int W)
    {
        Vector128.ConditionalSelect(Vector128.Equals(place, column).AsSingle(), d, Vector128<float>.Zero).Store(at);
        Vector128.ConditionalSelect(Vector128.Equals(place, lowColumn).AsSingle(), d, Vector128<float>.Zero).Store(at + W);
    }
}
