// 2×2 max pooling with stride 2: A[n,c,y,x] = max of A_prev[n, c, 2y + i, 2x + j] over i, j ∈ {0, 1}.
// An odd last row or column is dropped (PyTorch's floor). Ties go to the first of (0,0), (0,1), (1,0),
// (1,1). Backward: dA_prev is dA at the winner of each window, 0 elsewhere.
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
        int W = Input.Width;
        fixed (float* x = input, y = output)
        fixed (int* win = where)
        {
            for (int c = 0; c < Input.Channels; c++)
            {
                for (int yo = 0; yo < Output.Height; yo++)
                {
                    int top = Input.Index(c, 2 * yo, 0), o = Output.Index(c, yo, 0);
                    for (int xo = 0; xo < Output.Width; xo++)
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
        dA.Span.Clear();
        float[] dy = dOutput.Storage, dx = dA.Storage;
        for (int n = 0; n < m; n++)
        {
            int inRow = n * Input.Size, outRow = n * Output.Size;
            for (int o = 0; o < Output.Size; o++)
            {
                dx[inRow + winners[outRow + o]] = dy[outRow + o];
            }
        }
        return dA;
    }
}
