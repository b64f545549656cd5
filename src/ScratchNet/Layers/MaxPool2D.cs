// 2×2 max pooling with stride 2: A[n,c,y,x] = max of A_prev[n, c, 2y + i, 2x + j] over i, j ∈ {0, 1}.
// An odd last row or column is dropped (PyTorch's floor). Ties go to the first of (0,0), (0,1), (1,0),
// (1,1). Backward: dA_prev is dA at the winner of each window, 0 elsewhere. Both passes are
// Tensors/PoolKernels; a convolution straight before pooling may run them itself, the forward
// pass on its own product rows, the backward pass into its gradient's scratch (Network.Forward
// and Backward), the same bits.
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
    public unsafe Matrix? Backward(Matrix dOutput, bool computeInputGradient)
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
            fixed (float* pdy = dy, pdx = dx)
            fixed (int* pwin = win)
            {
                for (int n = piece * per; n < Math.Min(m, (piece + 1) * per); n++)
                {
                    PoolKernels.Unpool(pdy + ((long)n * Output.Size), pwin + ((long)n * Output.Size), Input, pdx + ((long)n * Input.Size));
                }
            }
        });
        return dA;
    }
}
