// 2×2 max pooling with stride 2: A[n,c,y,x] = max of A_prev[n, c, 2y + i, 2x + j] over i, j ∈ {0, 1}.
// An odd last row or column is dropped (PyTorch's floor). Ties go to the first of (0,0), (0,1), (1,0),
// (1,1). Backward: dA_prev is dA at the winner of each window, 0 elsewhere. The forward pass is
// Tensors/PoolKernels (a convolution straight before pooling may run it on its own product rows:
// Network.Forward); the backward pass writes whole windows at a time (no clearing first) on rows of
// four or more: 16, 8 or 4 windows by the vector width.
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
        (Matrix a, int[] win) = Buffers(m);
        float[] x = input.Storage, y = a.Storage;
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

    /// <summary>The output [m, C·(H/2)·(W/2)] and the winners of a forward pass over m examples (a convolution pooling its own product writes them).</summary>
    internal (Matrix Output, int[] Winners) Buffers(int m)
    {
        Matrix a = Matrix.Ensure(ref output, m, Output.Size);
        if (winners.Length < m * Output.Size)
        {
            winners = new int[m * Output.Size];
        }
        return (a, winners);
    }

    /// <summary>One example: A = the maximum of each 2×2 window (the first maximum on a tie) and where it was.</summary>
    private unsafe void Pool(ReadOnlySpan<float> input, Span<float> output, Span<int> where)
    {
        int W = Input.Width;
        fixed (float* x = input, y = output)
        fixed (int* win = where)
        {
            for (int c = 0; c < Input.Channels; c++)
            {
                for (int yo = 0; yo < Output.Height; yo++)
                {
                    int top = Input.Index(c, 2 * yo, 0), o = Output.Index(c, yo, 0);
                    PoolKernels.Row<AsStored>(x, top, W, 0f, Output.Width, input.Length, y + o, win + o, output.Length - o, top, W);
                }
            }
        }
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
        if (Simd.Has512 && Wo >= 16)
        {
            UnpoolRow512(dy, win, Wo, dx, top, W);
            return;
        }
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
    /// <see cref="UnpoolRow"/> sixteen windows at a time (Wo ≥ 16): each window's dA and place spread to two lanes by one
    /// permutation per half, so that 512-bit lanes 2i and 2i + 1 are window i's two columns in both rows.
    /// </summary>
    private static unsafe void UnpoolRow512(float* dy, int* win, int Wo, float* dx, int top, int W)
    {
        Vector512<int> column = Vector512.Create(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1), lowColumn = column + Vector512.Create(W);
        Vector512<int> corners = Vector512<int>.Indices * 2;
        Vector512<int> low = Vector512.Create(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7), high = low + Vector512.Create(8);
        for (int next = 0; next < Wo; next += 16)
        {
            // The last sixteen windows of a row whose width is not a multiple of 16 overlap the ones before: written again, the same
            int xo = Math.Min(next, Wo - 16);
            int at = top + (2 * xo);
            Vector512<float> d = Vector512.Load(dy + xo);
            Vector512<int> place = Vector512.Load(win + xo) - Vector512.Create(at) - corners;   // winner − corner: 0, 1, W or W + 1
            Vector512<float> d0 = Vector512.Shuffle(d, low), d1 = Vector512.Shuffle(d, high);
            Vector512<int> p0 = Vector512.Shuffle(place, low), p1 = Vector512.Shuffle(place, high);
            Vector512.ConditionalSelect(Vector512.Equals(p0, column).AsSingle(), d0, Vector512<float>.Zero).Store(dx + at);
            Vector512.ConditionalSelect(Vector512.Equals(p1, column).AsSingle(), d1, Vector512<float>.Zero).Store(dx + at + 16);
            Vector512.ConditionalSelect(Vector512.Equals(p0, lowColumn).AsSingle(), d0, Vector512<float>.Zero).Store(dx + at + W);
            Vector512.ConditionalSelect(Vector512.Equals(p1, lowColumn).AsSingle(), d1, Vector512<float>.Zero).Store(dx + at + W + 16);
        }
    }

    /// <summary><see cref="UnpoolRow512"/> at 256 bits: eight windows at a time (Wo ≥ 8).</summary>
    private static unsafe void UnpoolRow256(float* dy, int* win, int Wo, float* dx, int top, int W)
    {
        Vector256<int> column = Vector256.Create(0, 1, 0, 1, 0, 1, 0, 1), lowColumn = column + Vector256.Create(W);
        Vector256<int> corners = Vector256<int>.Indices * 2;
        Vector256<int> low = Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3), high = low + Vector256.Create(4);
        for (int next = 0; next < Wo; next += 8)
        {
            int xo = Math.Min(next, Wo - 8);
            int at = top + (2 * xo);
            Vector256<float> d = Vector256.Load(dy + xo);
            Vector256<int> place = Vector256.Load(win + xo) - Vector256.Create(at) - corners;
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
